#include "server/reconciler/container_spec.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "server/reconciler/env_files.h"

namespace berth::reconciler {
namespace {

using nlohmann::json;

constexpr int64_t kMiB = 1024 * 1024;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

// The agent's variables, then the environment files', then environment and
// the override's environment (later wins, by name), as K=V.
std::vector<std::string> Environment(
    const json& definition, const json& override, const TaskContext& task,
    const std::vector<std::pair<std::string, std::string>>& files) {
  const std::string container = definition.at("name").get<std::string>();
  std::vector<std::pair<std::string, std::string>> vars;
  const auto set = [&](const std::string& name, const std::string& value) {
    auto it =
        std::find_if(vars.begin(), vars.end(), [&](const auto& v) { return v.first == name; });
    if (it != vars.end()) {
      it->second = value;
    } else {
      vars.emplace_back(name, value);
    }
  };
  // What the ECS agent injects, unless the definition sets it.
  set("AWS_EXECUTION_ENV", task.launch_type == "FARGATE" ? "AWS_ECS_FARGATE" : "AWS_ECS_EC2");
  set("AWS_REGION", task.region);
  set("AWS_DEFAULT_REGION", task.region);
  // Berth's one addition: its API as the container reaches it, so the SDKs
  // and the aws CLI inside a task call this Berth (unless the definition
  // says otherwise).
  if (!task.berth_url.empty()) set("AWS_ENDPOINT_URL", task.berth_url);
  for (const auto& [name, value] : files) set(name, value);
  for (const auto* source : {&definition, &override}) {
    for (const auto& e : source->value("environment", json::array())) {
      set(e.value("name", ""), e.value("value", ""));
    }
  }
  // The agent's endpoint variables, which the task cannot change.
  if (const auto id = task.endpoint_ids.find(container); id != task.endpoint_ids.end()) {
    set("ECS_CONTAINER_METADATA_URI_V4", std::string(kTaskEndpointBase) + "/v4/" + id->second);
    set("ECS_CONTAINER_METADATA_URI", std::string(kTaskEndpointBase) + "/v3/" + id->second);
    set("ECS_AGENT_URI", std::string(kTaskEndpointBase) + "/api/" + id->second);
    if (!task.credentials_id.empty()) {
      set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/" + task.credentials_id);
    }
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

std::vector<std::string> Strings(const json& value) {
  std::vector<std::string> out;
  for (const auto& v : value) out.push_back(v.get<std::string>());
  return out;
}

// logConfiguration → Docker's LogConfig (ecs-semantics.md §2.7). awslogs
// runs on json-file, from which Berth collects it into its CloudWatch Logs
// (log_collector.h). The drivers Docker has built in get their options as
// given: like on an ECS host, one whose target cannot be reached (a fluentd
// or syslog server, journald) fails the container's start with Docker's
// error. awsfirelens and unknown drivers are not applied (Docker's default
// driver keeps the output).
void ApplyLogConfiguration(const json& d, const TaskContext& task, docker::ContainerSpec& s,
                           const std::function<void(const std::string&)>& note) {
  if (!d.contains("logConfiguration") || !d.at("logConfiguration").is_object()) return;
  const json& configuration = d.at("logConfiguration");
  const std::string driver = configuration.value("logDriver", "");
  if (!configuration.value("secretOptions", json::array()).empty()) {
    note("logConfiguration.secretOptions are not resolved (no Secrets Manager/SSM locally)");
  }
  if (driver == "awslogs") {
    s.log_driver = "json-file";
    if (!task.collect_awslogs) {
      note(
          "logConfiguration awslogs is not honoured: this Berth has no CloudWatch Logs to "
          "collect into; the output stays in Docker's json-file log (docker logs <runtimeId>)");
    }
    return;
  }
  static const std::set<std::string> kDockerDrivers = {
      "json-file", "local",  "syslog",  "journald",   "gelf",
      "fluentd",   "splunk", "gcplogs", "logentries", "none"};
  if (!kDockerDrivers.contains(driver)) {
    note("logConfiguration " + driver + " is not applied" +
         (driver == "awsfirelens" ? " (no FireLens log router locally)" : "") +
         "; Docker's default driver keeps the output (docker logs <runtimeId>)");
    return;
  }
  s.log_driver = driver;
  const json options = configuration.value("options", json::object());
  for (const auto& [key, value] : options.items()) {
    s.log_options[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
}

}  // namespace

json OverrideFor(const json& overrides, const json& name) {
  for (const auto& o : overrides.value("containerOverrides", json::array())) {
    if (o.value("name", json()) == name) return o;
  }
  return json::object();
}

std::string DockerName(const std::string& family, int64_t revision, const std::string& name,
                       const std::string& suffix) {
  std::string clean;
  for (const char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-') clean += c;
  }
  return "ecs-" + family + "-" + std::to_string(revision) + "-" + clean + "-" + suffix;
}

std::string TaskVolumeName(const std::string& task_id, const std::string& volume) {
  return "ecs-" + task_id + "-" + volume;
}

std::map<std::string, std::string> TaskLabels(const TaskContext& task, const std::string& family,
                                              int64_t revision, const std::string& container,
                                              const std::string& role) {
  return {
      {"com.amazonaws.ecs.task-arn", task.task_arn},
      {"com.amazonaws.ecs.container-name", container},
      {"com.amazonaws.ecs.task-definition-family", family},
      {"com.amazonaws.ecs.task-definition-version", std::to_string(revision)},
      {"com.amazonaws.ecs.cluster", task.cluster},
      {docker::kManagedLabel, "1"},
      {"berth.instance", task.instance_id},
      {docker::kRoleLabel, role},
  };
}

TranslatedContainer TranslateContainer(
    const json& td, const json& d, const json& overrides, const TaskContext& task,
    const std::string& image,
    const std::vector<std::pair<std::string, std::string>>& file_environment) {
  TranslatedContainer out;
  docker::ContainerSpec& s = out.spec;
  const std::string name = d.at("name").get<std::string>();
  const json override = OverrideFor(overrides, d.at("name"));
  const auto note = [&](const std::string& text) { out.notes.push_back(name + ": " + text); };

  s.image = image;
  if (d.contains("entryPoint")) s.entrypoint = Strings(d.at("entryPoint"));
  if (override.contains("command")) {
    s.command = Strings(override.at("command"));
  } else if (d.contains("command")) {
    s.command = Strings(d.at("command"));
  }
  s.env = Environment(d, override, task, file_environment);
  s.working_dir = d.value("workingDirectory", "");
  s.user = d.value("user", "");
  s.tty = d.value("pseudoTerminal", false);
  s.open_stdin = d.value("interactive", false);
  s.readonly_rootfs = d.value("readonlyRootFilesystem", false);
  s.privileged = d.value("privileged", false);

  // Labels: the definition's, then the agent's (which win).
  // (A named copy: items() of a temporary would dangle inside the loop.)
  const json docker_labels = d.value("dockerLabels", json::object());
  for (const auto& [k, v] : docker_labels.items()) s.labels[k] = v.get<std::string>();
  for (auto& [k, v] : TaskLabels(task, td.at("family").get<std::string>(),
                                 td.at("revision").get<int64_t>(), name, "app")) {
    s.labels[k] = v;
  }

  // Resources: container cpu → CPU shares (the agent clamps to [2, 262144]);
  // memory limits in MiB.
  const int64_t cpu = override.value("cpu", d.value("cpu", int64_t{0}));
  s.cpu_shares = std::clamp<int64_t>(cpu, 2, 262144);
  const int64_t memory = override.value("memory", d.value("memory", int64_t{0}));
  const int64_t reservation =
      override.value("memoryReservation", d.value("memoryReservation", int64_t{0}));
  if (memory > 0)
    s.memory_bytes = std::max<int64_t>(memory, 6) * kMiB;  // Docker's minimum is 6 MiB
  if (reservation > 0) s.memory_reservation_bytes = reservation * kMiB;
  for (const auto& u : d.value("ulimits", json::array())) {
    s.ulimits.push_back({u.at("name").get<std::string>(), u.at("softLimit").get<int64_t>(),
                         u.at("hardLimit").get<int64_t>()});
  }
  if (d.contains("healthCheck")) {
    const json& h = d.at("healthCheck");
    docker::HealthCheck check;
    check.test = Strings(h.at("command"));
    check.interval_ns = h.value("interval", int64_t{30}) * kNanosPerSecond;
    check.timeout_ns = h.value("timeout", int64_t{5}) * kNanosPerSecond;
    check.start_period_ns = h.value("startPeriod", int64_t{0}) * kNanosPerSecond;
    check.retries = h.value("retries", 3);
    s.health_check = check;
  }
  if (d.contains("stopTimeout")) s.stop_timeout_seconds = d.at("stopTimeout").get<int>();

  // Linux parameters.
  if (d.contains("linuxParameters")) {
    const json& lp = d.at("linuxParameters");
    if (lp.contains("capabilities")) {
      const json& caps = lp.at("capabilities");
      if (caps.contains("add")) s.cap_add = Strings(caps.at("add"));
      if (caps.contains("drop")) s.cap_drop = Strings(caps.at("drop"));
    }
    s.init = lp.value("initProcessEnabled", false);
    if (lp.contains("sharedMemorySize"))
      s.shm_size_bytes = lp.at("sharedMemorySize").get<int64_t>() * kMiB;
    for (const auto& t : lp.value("tmpfs", json::array())) {
      std::string options = "size=" + std::to_string(t.at("size").get<int64_t>()) + "m";
      for (const auto& o : t.value("mountOptions", json::array()))
        options += "," + o.get<std::string>();
      s.tmpfs[t.at("containerPath").get<std::string>()] = options;
    }
    if (lp.contains("devices")) note("linuxParameters.devices are not passed to local containers");
    if (lp.contains("maxSwap") || lp.contains("swappiness")) {
      note("linuxParameters.maxSwap/swappiness are not applied (no swap accounting locally)");
    }
  }
  for (const auto& sc : d.value("systemControls", json::array())) {
    if (sc.contains("namespace")) {
      s.sysctls[sc.at("namespace").get<std::string>()] = sc.value("value", "");
    }
  }

  // Networking by mode (§2.3): awsvpc joins the pause container (which
  // publishes the ports); bridge publishes per container on 127.0.0.1.
  if (task.network_mode == "awsvpc") {
    s.network_mode = "container:" + task.pause_id;
  } else if (task.network_mode == "host" || task.network_mode == "none") {
    s.network_mode = task.network_mode;
  } else {
    // Bridge tasks join the cluster's network (a user-defined bridge: ports
    // publish as on docker0, and Docker's DNS answers service names).
    s.network_mode = task.network_name.empty() ? "bridge" : task.network_name;
    if (!task.network_name.empty() && d.contains("portMappings") && !d.at("portMappings").empty()) {
      s.network_aliases = task.network_aliases;
    }
    for (const auto& m : d.value("portMappings", json::array())) {
      if (!m.contains("containerPort")) {
        note("portMappings with containerPortRange are not published");
        continue;
      }
      docker::PortBinding b;
      b.container_port = m.at("containerPort").get<int>();
      b.protocol = m.value("protocol", "tcp");
      b.host_port = m.value("hostPort", 0);
      b.host_ip = task.publish_address;
      s.ports.push_back(b);
    }
    s.hostname = d.value("hostname", "");
    for (const auto& h : d.value("extraHosts", json::array())) {
      s.extra_hosts.push_back(h.at("hostname").get<std::string>() + ":" +
                              h.at("ipAddress").get<std::string>());
    }
    if (d.contains("dnsServers")) s.dns = Strings(d.at("dnsServers"));
    if (d.contains("links"))
      note("links are not applied; containers of a task reach each other by published ports");
  }
  if (d.contains("dnsSearchDomains")) s.dns_search = Strings(d.at("dnsSearchDomains"));

  // Volumes: host paths bind (EC2 only; refused for Fargate at registration),
  // a shared-scope Docker volume binds by its name (it outlives the task),
  // everything else becomes a task-scoped Docker volume labelled with the
  // task, removed once the task's containers are gone.
  for (const auto& mp : d.value("mountPoints", json::array())) {
    const std::string source = mp.value("sourceVolume", "");
    json volume;
    for (const auto& v : td.value("volumes", json::array())) {
      if (v.value("name", "") == source) volume = v;
    }
    const std::string target = mp.value("containerPath", "");
    const bool read_only = mp.value("readOnly", false);
    std::string bind;
    if (volume.contains("host") && volume.at("host").contains("sourcePath")) {
      bind = volume.at("host").at("sourcePath").get<std::string>();
    } else if (volume.contains("dockerVolumeConfiguration") &&
               volume.at("dockerVolumeConfiguration").value("scope", "task") == "shared") {
      bind = source;
    } else {
      if (volume.contains("efsVolumeConfiguration")) {
        note("EFS volume '" + source + "' is emulated with a local Docker volume");
      }
      s.volumes.push_back({TaskVolumeName(task.task_id, source),
                           target,
                           read_only,
                           {{docker::kTaskArnLabel, task.task_arn},
                            {docker::kManagedLabel, "1"},
                            {"berth.instance", task.instance_id}}});
      continue;
    }
    s.binds.push_back(bind + ":" + target + (read_only ? ":ro" : ""));
  }
  if (d.contains("volumesFrom")) {
    for (const auto& vf : d.at("volumesFrom")) {
      (void)vf;
      note("volumesFrom is not applied");
      break;
    }
  }

  ApplyLogConfiguration(d, task, s, note);

  // Honestly reported gaps.
  if (d.contains("secrets")) note("secrets are not resolved (no Secrets Manager/SSM locally)");
  const json& env_files = override.contains("environmentFiles")
                              ? override.at("environmentFiles")
                              : d.value("environmentFiles", json::array());
  for (const auto& f : env_files) {
    if (LocalEnvironmentFilePath(f.value("value", "")).empty()) {
      note("environment file " + f.value("value", "") +
           " is not fetched (no S3 locally; give a local path or file:// URL)");
    }
  }
  if (d.contains("repositoryCredentials")) note("repositoryCredentials are not used");
  if (d.contains("firelensConfiguration")) note("firelensConfiguration is not applied");
  if (d.contains("resourceRequirements")) note("resourceRequirements (GPU) are not applied");
  if (d.contains("dockerSecurityOptions")) note("dockerSecurityOptions are not applied");
  if (d.contains("credentialSpecs")) note("credentialSpecs are not applied");
  if (d.contains("restartPolicy")) note("restartPolicy is not applied");
  return out;
}

}  // namespace berth::reconciler
