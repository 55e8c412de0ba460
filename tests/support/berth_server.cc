#include "tests/support/berth_server.h"

#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>

namespace berth::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string HttpReply::Header(const std::string& name) const {
  std::string value;
  std::stringstream in(headers);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < colon; ++i) {
      same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                         std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (!same) continue;
    value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
  }
  return value;
}

HttpReply Curl(const std::string& url, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      "curl", "-sS", "-D", "/dev/stderr", "-o", "-", "-w", "\n%{http_code}", "--max-time", "120"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  const CommandResult r = RunCommand(argv, {}, "", 130);
  HttpReply reply;
  const auto last = r.out.rfind('\n');
  reply.body = last == std::string::npos ? "" : r.out.substr(0, last);
  reply.status = std::atoi(r.out.substr(last == std::string::npos ? 0 : last + 1).c_str());
  reply.headers = r.err;
  return reply;
}

std::string BerthBinary() { return BERTH_BINARY; }
std::string SourceDir() { return BERTH_SOURCE_DIR; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "berth-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

BerthServer::BerthServer(std::vector<std::string> extra_args, std::string data_dir,
                         const std::map<std::string, std::string>& env)
    : data_dir_(std::move(data_dir)) {
  if (data_dir_.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "berth-data-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    data_dir_ = pattern;
    own_data_dir_ = true;
  }
  log_path_ = data_dir_ + "/berth-test.log";
  std::filesystem::remove(log_path_);
  std::vector<std::string> argv = {BerthBinary(), "--listen", "127.0.0.1:0", "--data-dir",
                                   data_dir_};
  bool has_log_level = false;
  bool has_local_instance = false;
  for (auto& arg : extra_args) {
    if (arg.starts_with("--log-level")) has_log_level = true;
    if (arg.starts_with("--register-local-instance")) has_local_instance = true;
    argv.push_back(std::move(arg));
  }
  // EC2 tasks need a container instance: tests run with the local host
  // registered in every cluster unless they say otherwise.
  if (!has_local_instance && env.count("BERTH_REGISTER_LOCAL_INSTANCE") == 0) {
    argv.push_back("--register-local-instance");
  }
  if (!has_log_level) {
    argv.push_back("--log-level");
    argv.push_back("info");
  }
  process_ = std::make_unique<ChildProcess>(argv, env, log_path_);
  // berth logs "listening on 127.0.0.1:<port>" once it accepts connections.
  static const std::regex kListening(R"(listening on 127\.0\.0\.1:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string log = ReadFile(log_path_);
    if (std::regex_search(log, match, kListening)) {
      port_ = std::stoi(match[1]);
      return;
    }
    if (!process_->Running()) throw std::runtime_error("berth exited at start-up:\n" + log);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("berth did not start within 20s:\n" + ReadFile(log_path_));
}

BerthServer::~BerthServer() {
  process_.reset();
  if (own_data_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

std::string BerthServer::Log() const { return ReadFile(log_path_); }

bool BerthServer::Stop() {
  const auto status = process_->Stop(SIGTERM, 10);
  const bool clean = status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  if (!clean) {
    // Say how it ended, with the end of its log (a sanitizer's report is there).
    const std::string log = Log();
    std::cerr << "berth did not stop cleanly ("
              << (!status                ? "still running"
                  : WIFEXITED(*status)   ? "exit " + std::to_string(WEXITSTATUS(*status))
                  : WIFSIGNALED(*status) ? "signal " + std::to_string(WTERMSIG(*status))
                                         : "unknown")
              << "); the end of its log:\n"
              << log.substr(log.size() > 6000 ? log.size() - 6000 : 0) << "\n";
  }
  return clean;
}

std::vector<std::string> AwsClis() {
  std::vector<std::string> clis;
  if (const char* override_list = std::getenv("BERTH_TEST_AWS_CLIS")) {
    std::stringstream in(override_list);
    std::string item;
    while (std::getline(in, item, ':')) {
      if (!item.empty()) clis.push_back(item);
    }
    return clis;
  }
  const auto which = RunCommand({"sh", "-c", "command -v aws"});
  std::string first = which.out.substr(0, which.out.find('\n'));
  if (std::filesystem::exists("/usr/bin/aws")) clis.push_back("/usr/bin/aws");
  if (!first.empty() && first != "/usr/bin/aws") clis.push_back(first);
  return clis;
}

AwsResult RunAws(const std::string& cli, const std::string& endpoint,
                 const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {cli};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--endpoint-url", endpoint, "--output", "json"});
  std::map<std::string, std::string> environment = {
      {"AWS_ACCESS_KEY_ID", "AKIDBERTHTEST"},       {"AWS_SECRET_ACCESS_KEY", "berth-test-secret"},
      {"AWS_DEFAULT_REGION", "us-east-1"},          {"AWS_PAGER", ""},
      {"AWS_EC2_METADATA_DISABLED", "true"},        {"AWS_CONFIG_FILE", "/dev/null"},
      {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}, {"AWS_MAX_ATTEMPTS", "1"},
  };
  for (const auto& [k, v] : env) environment[k] = v;
  const CommandResult r = RunCommand(argv, environment);
  AwsResult result{r.exit_code, nullptr, r.out, r.err};
  result.json = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (result.json.is_discarded()) result.json = nullptr;
  return result;
}

AwsResult RunLoginPipeline(const std::string& cli, const std::string& endpoint,
                           const std::string& registry_host, const std::string& docker_config) {
  // RunAws supplies the credentials and appends "--endpoint-url <url>
  // --output json", which sh hands to the script as $0..$3.
  return RunAws("sh", endpoint,
                {"-c",
                 "\"$AWS\" ecr get-login-password --region us-east-1 --endpoint-url \"$1\" | "
                 "docker login --username AWS --password-stdin " +
                     registry_host},
                {{"AWS", cli}, {"DOCKER_CONFIG", docker_config}});
}

}  // namespace berth::testing
