#include "docker_backend/curl_docker_client.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "docker_backend/curl_library.h"

namespace berth::docker {
namespace {

using nlohmann::json;

size_t Collect(char* data, size_t size, size_t count, void* user) {
  try {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
  } catch (...) {  // never let an exception cross into C
    return 0;
  }
}

std::string Escape(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// Parses "1.41" into a comparable number (1041).
int VersionNumber(const std::string& version) {
  const auto dot = version.find('.');
  if (dot == std::string::npos) return 0;
  return std::atoi(version.substr(0, dot).c_str()) * 1000 +
         std::atoi(version.substr(dot + 1).c_str());
}

json LabelsJson(const std::map<std::string, std::string>& labels) {
  json out = json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

// Pull and load answer 200 and report failures inside the stream: a line
// {"errorDetail":{"message":M},"error":M}. Throws DockerError(500, M) for
// the first such line.
void ThrowStreamError(const std::string& body) {
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    const json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!event.is_object() || !event.contains("error")) continue;
    const json& error = event["error"];
    throw DockerError(500, error.is_string() ? error.get<std::string>() : error.dump());
  }
}

json CreateBody(const ContainerSpec& s) {
  json body = {{"Image", s.image},
               {"Labels", LabelsJson(s.labels)},
               {"Tty", s.tty},
               {"OpenStdin", s.open_stdin}};
  if (s.entrypoint) body["Entrypoint"] = *s.entrypoint;
  if (s.command) body["Cmd"] = *s.command;
  if (!s.env.empty()) body["Env"] = s.env;
  if (!s.working_dir.empty()) body["WorkingDir"] = s.working_dir;
  if (!s.user.empty()) body["User"] = s.user;
  if (!s.hostname.empty()) body["Hostname"] = s.hostname;
  if (s.stop_timeout_seconds) body["StopTimeout"] = *s.stop_timeout_seconds;
  if (s.health_check) {
    body["Healthcheck"] = {{"Test", s.health_check->test},
                           {"Interval", s.health_check->interval_ns},
                           {"Timeout", s.health_check->timeout_ns},
                           {"StartPeriod", s.health_check->start_period_ns},
                           {"Retries", s.health_check->retries}};
  }
  json host = {{"NetworkMode", s.network_mode.empty() ? "bridge" : s.network_mode},
               {"ReadonlyRootfs", s.readonly_rootfs},
               {"Privileged", s.privileged},
               {"Init", s.init}};
  if (!s.ports.empty()) {
    json exposed = json::object();
    json bindings = json::object();
    for (const auto& p : s.ports) {
      const std::string key = std::to_string(p.container_port) + "/" + p.protocol;
      exposed[key] = json::object();
      bindings[key].push_back({{"HostIp", p.host_ip},
                               {"HostPort", p.host_port > 0 ? std::to_string(p.host_port) : ""}});
    }
    body["ExposedPorts"] = exposed;
    host["PortBindings"] = bindings;
  }
  if (s.memory_bytes > 0) {
    host["Memory"] = s.memory_bytes;
    host["MemorySwap"] = s.memory_bytes;  // OOM-kill rather than swap
  }
  if (s.memory_reservation_bytes > 0) host["MemoryReservation"] = s.memory_reservation_bytes;
  if (s.cpu_shares > 0) host["CpuShares"] = s.cpu_shares;
  if (s.nano_cpus > 0) host["NanoCpus"] = s.nano_cpus;
  if (!s.ulimits.empty()) {
    for (const auto& u : s.ulimits) {
      host["Ulimits"].push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
    }
  }
  if (!s.binds.empty()) host["Binds"] = s.binds;
  for (const auto& v : s.volumes) {
    host["Mounts"].push_back({{"Type", "volume"},
                              {"Source", v.source},
                              {"Target", v.target},
                              {"ReadOnly", v.read_only},
                              {"VolumeOptions", {{"Labels", LabelsJson(v.labels)}}}});
  }
  if (!s.extra_hosts.empty()) host["ExtraHosts"] = s.extra_hosts;
  if (!s.dns.empty()) host["Dns"] = s.dns;
  if (!s.dns_search.empty()) host["DnsSearch"] = s.dns_search;
  if (!s.cap_add.empty()) host["CapAdd"] = s.cap_add;
  if (!s.cap_drop.empty()) host["CapDrop"] = s.cap_drop;
  if (s.shm_size_bytes > 0) host["ShmSize"] = s.shm_size_bytes;
  if (!s.sysctls.empty()) host["Sysctls"] = LabelsJson(s.sysctls);
  if (!s.tmpfs.empty()) host["Tmpfs"] = LabelsJson(s.tmpfs);
  if (!s.log_driver.empty()) {
    host["LogConfig"] = {{"Type", s.log_driver}, {"Config", LabelsJson(s.log_options)}};
  }
  body["HostConfig"] = host;
  if (s.network_ip && !s.network_mode.empty()) {
    body["NetworkingConfig"]["EndpointsConfig"][s.network_mode]["IPAMConfig"]["IPv4Address"] =
        *s.network_ip;
  }
  if (!s.network_aliases.empty() && !s.network_mode.empty()) {
    body["NetworkingConfig"]["EndpointsConfig"][s.network_mode]["Aliases"] = s.network_aliases;
  }
  return body;
}

// One line of the event stream, handed on when it is a container's event.
void DeliverEventLine(std::string_view line,
                      const std::function<void(const ContainerEvent&)>& on_event) {
  const json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || event.value("Type", "") != "container") return;
  ContainerEvent out;
  out.action = event.value("Action", event.value("status", ""));
  const json actor = event.value("Actor", json::object());
  out.id = actor.value("ID", event.value("id", ""));
  if (actor.contains("Attributes") && actor["Attributes"].is_object()) {
    for (const auto& [k, v] : actor["Attributes"].items()) {
      if (v.is_string()) out.attributes[k] = v.get<std::string>();
    }
  }
  on_event(out);
}

}  // namespace

std::optional<DockerTls> DockerTls::FromEnvironment(
    const std::map<std::string, std::string>& environment) {
  const auto get = [&](const std::string& name) {
    const auto it = environment.find(name);
    return it == environment.end() ? std::string() : it->second;
  };
  if (get("DOCKER_TLS_VERIFY").empty()) return std::nullopt;
  std::string cert_path = get("DOCKER_CERT_PATH");
  if (cert_path.empty()) cert_path = get("HOME") + "/.docker";
  try {
    return FromDirectory(cert_path, "DOCKER_CERT_PATH");
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("DOCKER_TLS_VERIFY is set, but ") + e.what());
  }
}

DockerTls DockerTls::FromDirectory(const std::string& cert_path, const std::string& named_by) {
  DockerTls tls;
  tls.cert_path = cert_path;
  for (const std::string& file : {tls.ca_file(), tls.cert_file(), tls.key_file()}) {
    if (std::FILE* f = std::fopen(file.c_str(), "rb")) {
      std::fclose(f);
      continue;
    }
    throw std::invalid_argument(file + " cannot be read (" + named_by +
                                " names the directory of ca.pem, cert.pem and key.pem)");
  }
  return tls;
}

DockerEndpoint DockerEndpoint::FromDockerHost(const std::string& docker_host,
                                              const std::optional<DockerTls>& tls) {
  DockerEndpoint endpoint;
  if (docker_host.empty()) return endpoint;
  if (docker_host.starts_with("unix://")) {
    endpoint.unix_socket = docker_host.substr(7);
    return endpoint;
  }
  if (docker_host.starts_with("tcp://")) {
    endpoint.unix_socket.clear();
    endpoint.tls = tls;
    endpoint.base_url = (tls ? "https://" : "http://") + docker_host.substr(6);
    return endpoint;
  }
  throw std::invalid_argument("DOCKER_HOST must be unix:// or tcp://, not " + docker_host);
}

std::string DaemonMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) {
    return parsed["message"].get<std::string>();
  }
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

CurlDockerClient::CurlDockerClient(DockerEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

CurlDockerClient::~CurlDockerClient() {
  if (curl_ != nullptr) CurlLibrary::Get().easy_cleanup(static_cast<CURL*>(curl_));
}

CurlDockerClient::Reply CurlDockerClient::Call(const std::string& method, const std::string& path,
                                               const std::string& body,
                                               const std::string& content_type, long timeout_ms,
                                               const std::vector<std::string>& headers,
                                               bool versioned) {
  if (versioned && api_version_.empty()) Negotiate();
  // libcurl and the handle come with the first call (curl_library.h).
  const CurlLibrary& lib = CurlLibrary::Get();
  if (curl_ == nullptr) {
    curl_ = lib.easy_init();
    if (curl_ == nullptr)
      throw DockerError(0, "Cannot connect to the Docker daemon: curl_easy_init failed");
  }
  CURL* curl = static_cast<CURL*>(curl_);
  lib.easy_reset(curl);
  const std::string url =
      endpoint_.base_url + (versioned ? "/v" + api_version_ : std::string()) + path;
  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  UseEndpoint(curl);
  lib.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") lib.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_slist* list = nullptr;
  for (const auto& header : headers) list = lib.slist_append(list, header.c_str());
  if (!content_type.empty()) {
    list = lib.slist_append(list, ("Content-Type: " + content_type).c_str());
  }
  if (method == "POST" || method == "PUT") {
    lib.easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    lib.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  lib.easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  std::string response;
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  lib.easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = lib.easy_perform(curl);
  lib.slist_free_all(list);
  if (rc != CURLE_OK) {
    // The call is named, so a log says which one a slow daemon held up.
    throw DockerError(0, "Cannot connect to the Docker daemon: " + method + " " +
                             path.substr(0, path.find('?')) + ": " + lib.easy_strerror(rc));
  }
  Reply reply;
  lib.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(response);
  return reply;
}

void CurlDockerClient::UseEndpoint(void* handle) const {
  const CurlLibrary& lib = CurlLibrary::Get();
  CURL* curl = static_cast<CURL*>(handle);
  if (!endpoint_.unix_socket.empty()) {
    lib.easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, endpoint_.unix_socket.c_str());
  }
  if (endpoint_.tls) {
    // As the docker CLI with DOCKER_TLS_VERIFY: the engine's certificate
    // must chain to ca.pem and name the host (curl copies the strings).
    lib.easy_setopt(curl, CURLOPT_CAINFO, endpoint_.tls->ca_file().c_str());
    lib.easy_setopt(curl, CURLOPT_SSLCERT, endpoint_.tls->cert_file().c_str());
    lib.easy_setopt(curl, CURLOPT_SSLKEY, endpoint_.tls->key_file().c_str());
    lib.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    lib.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  }
}

void CurlDockerClient::Negotiate() {
  const Reply reply = Call("GET", "/version", "", "", 10000, {}, false);
  if (reply.status != 200) Fail(reply);
  const json version = json::parse(reply.body, nullptr, false);
  const std::string daemon =
      version.is_object() && version.contains("ApiVersion") && version["ApiVersion"].is_string()
          ? version["ApiVersion"].get<std::string>()
          : std::string();
  if (VersionNumber(daemon) == 0) {
    throw DockerError(static_cast<int>(reply.status),
                      "the Docker daemon reported no API version: " + reply.body);
  }
  const std::string minimum =
      version.contains("MinAPIVersion") && version["MinAPIVersion"].is_string()
          ? version["MinAPIVersion"].get<std::string>()
          : std::string("1.12");
  std::string chosen = VersionNumber(daemon) < VersionNumber(kNewestTestedApiVersion)
                           ? daemon
                           : std::string(kNewestTestedApiVersion);
  if (VersionNumber(chosen) < VersionNumber(minimum)) chosen = minimum;
  api_version_ = chosen;
}

void CurlDockerClient::Fail(const Reply& reply) {
  throw DockerError(static_cast<int>(reply.status), DaemonMessage(reply.body));
}

bool CurlDockerClient::Ping() {
  try {
    return Call("GET", "/_ping", "", "", 3000, {}, false).status == 200;
  } catch (const DockerError&) {
    return false;
  }
}

EngineInfo CurlDockerClient::Info() {
  const Reply reply = Call("GET", "/info");
  if (reply.status != 200) Fail(reply);
  const json info = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!info.is_object()) throw DockerError(500, "the Docker daemon's /info is not JSON");
  const auto text = [&info](const char* key) {
    const auto it = info.find(key);
    return it != info.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto number = [&info](const char* key) {
    const auto it = info.find(key);
    return it != info.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  return {text("Name"),         text("ServerVersion"), text("OSType"),
          text("Architecture"), number("NCPU"),        number("MemTotal")};
}

bool CurlDockerClient::ImageExists(const std::string& image) {
  const Reply reply = Call("GET", "/images/" + Escape(image) + "/json");
  if (reply.status == 200) return true;
  if (reply.status == 404) return false;
  Fail(reply);
}

void CurlDockerClient::PullImage(const std::string& image, const std::string& registry_auth) {
  // Split "repo:tag" / "repo@digest"; the tag never contains '/'.
  std::string repository = image;
  std::string tag = "latest";
  if (const auto at = image.find('@'); at != std::string::npos) {
    repository = image.substr(0, at);
    tag = image.substr(at + 1);
  } else if (const auto colon = image.rfind(':');
             colon != std::string::npos && image.find('/', colon) == std::string::npos) {
    repository = image.substr(0, colon);
    tag = image.substr(colon + 1);
  }
  std::vector<std::string> headers;
  if (!registry_auth.empty()) headers.push_back("X-Registry-Auth: " + registry_auth);
  const Reply reply =
      Call("POST", "/images/create?fromImage=" + Escape(repository) + "&tag=" + Escape(tag), "", "",
           0, headers);
  if (reply.status != 200) Fail(reply);
  // Errors after streaming began arrive in-stream with HTTP 200.
  ThrowStreamError(reply.body);
}

void CurlDockerClient::LoadImage(const std::string& tar) {
  const Reply reply = Call("POST", "/images/load?quiet=1", tar, "application/x-tar", 120000);
  if (reply.status != 200) Fail(reply);
  ThrowStreamError(reply.body);
}

std::string CurlDockerClient::CreateContainer(const ContainerSpec& spec) {
  const Reply reply = Call("POST", "/containers/create?name=" + Escape(spec.name),
                           CreateBody(spec).dump(), "application/json");
  if (reply.status == 201) return json::parse(reply.body).at("Id").get<std::string>();
  if (reply.status == 409) return InspectContainer(spec.name).id;  // the name exists
  Fail(reply);
}

void CurlDockerClient::StartContainer(const std::string& id) {
  const Reply reply = Call("POST", "/containers/" + Escape(id) + "/start");
  if (reply.status == 204 || reply.status == 304) return;
  Fail(reply);
}

void CurlDockerClient::StopContainer(const std::string& id, int timeout_seconds) {
  const Reply reply =
      Call("POST", "/containers/" + Escape(id) + "/stop?t=" + std::to_string(timeout_seconds), "",
           "", (static_cast<long>(timeout_seconds) + 30) * 1000);
  if (reply.status == 204 || reply.status == 304 || reply.status == 404) return;
  Fail(reply);
}

void CurlDockerClient::KillContainer(const std::string& id, const std::string& signal) {
  const Reply reply = Call("POST", "/containers/" + Escape(id) + "/kill?signal=" + Escape(signal));
  // 409: not running; 404: gone. Both mean there is nothing left to signal.
  if (reply.status == 204 || reply.status == 409 || reply.status == 404) return;
  Fail(reply);
}

void CurlDockerClient::RemoveContainer(const std::string& id) {
  const Reply reply = Call("DELETE", "/containers/" + Escape(id) + "?force=1&v=1");
  if (reply.status == 204 || reply.status == 404) return;
  Fail(reply);
}

ContainerState CurlDockerClient::InspectContainer(const std::string& id) {
  const Reply reply = Call("GET", "/containers/" + Escape(id) + "/json");
  if (reply.status != 200) Fail(reply);
  const json c = json::parse(reply.body);
  ContainerState s;
  s.id = c.value("Id", "");
  s.name = c.value("Name", "");
  if (s.name.starts_with("/")) s.name.erase(0, 1);
  s.image_id = c.value("Image", "");
  const json& state = c.at("State");
  s.status = state.value("Status", "");
  s.running = state.value("Running", false);
  s.oom_killed = state.value("OOMKilled", false);
  s.exit_code = state.value("ExitCode", 0);
  s.error = state.value("Error", "");
  s.started_at = state.value("StartedAt", "");
  s.finished_at = state.value("FinishedAt", "");
  if (state.contains("Health") && state["Health"].is_object()) {
    s.health = state["Health"].value("Status", "");
  }
  const json& config = c.value("Config", json::object());
  if (config.contains("Labels") && config["Labels"].is_object()) {
    for (const auto& [k, v] : config["Labels"].items()) s.labels[k] = v.get<std::string>();
  }
  if (config.contains("Env") && config["Env"].is_array()) {
    s.env = config["Env"].get<std::vector<std::string>>();
  }
  s.tty = config.value("Tty", false);
  const json& network = c.value("NetworkSettings", json::object());
  if (network.contains("Ports") && network["Ports"].is_object()) {
    for (const auto& [key, bindings] : network["Ports"].items()) {
      const auto slash = key.find('/');
      if (!bindings.is_array()) continue;
      for (const auto& b : bindings) {
        PortBinding p;
        p.container_port = std::atoi(key.substr(0, slash).c_str());
        p.protocol = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
        p.host_ip = b.value("HostIp", "");
        p.host_port = std::atoi(b.value("HostPort", "0").c_str());
        s.ports.push_back(p);
      }
    }
  }
  if (network.contains("Networks") && network["Networks"].is_object()) {
    for (const auto& [name, endpoint] : network["Networks"].items()) {
      s.ip_address = endpoint.value("IPAddress", "");
      s.gateway = endpoint.value("Gateway", "");
      if (!s.ip_address.empty()) break;
    }
  }
  return s;
}

std::string CurlDockerClient::ContainerOutput(const std::string& id) {
  const Reply reply = Call("GET", "/containers/" + Escape(id) + "/logs?stdout=1&stderr=1");
  if (reply.status != 200) Fail(reply);
  // Without a TTY the body is frames: 1 byte stream, 3 zero bytes, a
  // big-endian 32-bit length, the payload (reference §3.6).
  const std::string& body = reply.body;
  const auto byte = [&body](size_t i) { return static_cast<unsigned char>(body[i]); };
  const bool framed =
      body.size() >= 8 && byte(0) <= 2 && byte(1) == 0 && byte(2) == 0 && byte(3) == 0;
  if (!framed) return body;
  std::string out;
  for (size_t at = 0; at + 8 <= body.size();) {
    const size_t length = (size_t{byte(at + 4)} << 24) | (size_t{byte(at + 5)} << 16) |
                          (size_t{byte(at + 6)} << 8) | size_t{byte(at + 7)};
    out.append(body, at + 8, std::min(length, body.size() - at - 8));
    at += 8 + length;
  }
  return out;
}

std::string CurlDockerClient::ContainerStats(const std::string& id) {
  // stream=false alone waits a second for a second sample (reference §3.7).
  const Reply reply =
      Call("GET", "/containers/" + Escape(id) + "/stats?stream=false&one-shot=true");
  if (reply.status != 200) Fail(reply);
  return reply.body;
}

std::vector<ContainerSummary> CurlDockerClient::ListContainers(
    const std::vector<std::string>& labels) {
  const json filters = {{"label", labels}};
  const Reply reply = Call("GET", "/containers/json?all=1&filters=" + Escape(filters.dump()));
  if (reply.status != 200) Fail(reply);
  std::vector<ContainerSummary> out;
  for (const auto& c : json::parse(reply.body)) {
    ContainerSummary s;
    s.id = c.value("Id", "");
    if (c.contains("Names") && !c["Names"].empty()) {
      s.name = c["Names"][0].get<std::string>();
      if (s.name.starts_with("/")) s.name.erase(0, 1);
    }
    s.state = c.value("State", "");
    if (c.contains("Labels") && c["Labels"].is_object()) {
      for (const auto& [k, v] : c["Labels"].items()) s.labels[k] = v.get<std::string>();
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string CurlDockerClient::CreateNetwork(const std::string& name, const std::string& subnet,
                                            const std::string& gateway,
                                            const std::map<std::string, std::string>& labels) {
  json body = {{"Name", name},
               {"Driver", "bridge"},
               {"CheckDuplicate", true},
               {"Labels", LabelsJson(labels)}};
  if (!subnet.empty()) {
    body["IPAM"] = {{"Driver", "default"},
                    {"Config", json::array({{{"Subnet", subnet}, {"Gateway", gateway}}})}};
  }
  const Reply reply = Call("POST", "/networks/create", body.dump(), "application/json");
  if (reply.status == 201) return json::parse(reply.body).at("Id").get<std::string>();
  if (reply.status == 409) {
    const Reply found = Call("GET", "/networks/" + Escape(name));
    if (found.status == 200) return json::parse(found.body).at("Id").get<std::string>();
  }
  Fail(reply);
}

void CurlDockerClient::RemoveNetwork(const std::string& id) {
  const Reply reply = Call("DELETE", "/networks/" + Escape(id));
  if (reply.status == 204 || reply.status == 200 || reply.status == 404) return;
  Fail(reply);
}

std::vector<NetworkSummary> CurlDockerClient::ListNetworks(const std::vector<std::string>& labels) {
  const json filters = {{"label", labels}};
  const Reply reply = Call("GET", "/networks?filters=" + Escape(filters.dump()));
  if (reply.status != 200) Fail(reply);
  std::vector<NetworkSummary> out;
  for (const auto& n : json::parse(reply.body)) {
    NetworkSummary s;
    s.id = n.value("Id", "");
    s.name = n.value("Name", "");
    if (n.contains("IPAM") && n["IPAM"].is_object() && n["IPAM"].contains("Config") &&
        n["IPAM"]["Config"].is_array()) {
      for (const auto& config : n["IPAM"]["Config"]) {
        const std::string gateway = config.is_object() ? config.value("Gateway", "") : "";
        if (!gateway.empty() && gateway.find(':') == std::string::npos) {
          s.gateway = gateway;
          break;
        }
      }
    }
    if (n.contains("Labels") && n["Labels"].is_object()) {
      for (const auto& [k, v] : n["Labels"].items()) s.labels[k] = v.get<std::string>();
    }
    out.push_back(std::move(s));
  }
  return out;
}

void CurlDockerClient::WatchContainerEvents(
    const std::vector<std::string>& labels,
    const std::function<void(const ContainerEvent&)>& on_event,
    const std::function<bool()>& keep_going) {
  const json filters = {{"type", {"container"}}, {"label", labels}};
  // Whole lines only: a piece may end inside one.
  std::string pending;
  const bool ended = Stream(
      "/events?filters=" + Escape(filters.dump()),
      [&](std::string_view bytes) {
        pending.append(bytes);
        size_t start = 0;
        for (size_t nl = pending.find('\n'); nl != std::string::npos;
             nl = pending.find('\n', start)) {
          DeliverEventLine(std::string_view(pending).substr(start, nl - start), on_event);
          start = nl + 1;
        }
        pending.erase(0, start);
        return true;
      },
      keep_going, "");
  if (!ended) return;
  throw DockerError(0, "Cannot connect to the Docker daemon: the event stream ended");
}

std::vector<VolumeSummary> CurlDockerClient::ListVolumes(const std::vector<std::string>& labels) {
  const json filters = {{"label", labels}};
  const Reply reply = Call("GET", "/volumes?filters=" + Escape(filters.dump()));
  if (reply.status != 200) Fail(reply);
  std::vector<VolumeSummary> out;
  const json body = json::parse(reply.body);
  if (!body.contains("Volumes") || !body["Volumes"].is_array()) return out;
  for (const auto& v : body["Volumes"]) {
    VolumeSummary s;
    s.name = v.value("Name", "");
    if (v.contains("Labels") && v["Labels"].is_object()) {
      for (const auto& [k, value] : v["Labels"].items()) s.labels[k] = value.get<std::string>();
    }
    out.push_back(std::move(s));
  }
  return out;
}

void CurlDockerClient::RemoveVolume(const std::string& name) {
  const Reply reply = Call("DELETE", "/volumes/" + Escape(name));
  if (reply.status == 204 || reply.status == 404) return;
  Fail(reply);
}

}  // namespace berth::docker
