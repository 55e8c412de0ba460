#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>
#include <sched.h>
#include <thread>

namespace berth {

unsigned DefaultThreads() {
  // The cores Berth may run on (a cpuset or taskset narrows them), else all.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  const unsigned cores = sched_getaffinity(0, sizeof(cpus), &cpus) == 0
                             ? static_cast<unsigned>(CPU_COUNT(&cpus))
                             : std::thread::hardware_concurrency();
  return cores <= 2 ? 1 : 2;
}

namespace {

// One flag: its name, its environment variable and how to apply a value.
struct Option {
  std::string flag;
  std::string env;
  std::string help;
  // Applies `value`; returns an error message, empty on success.
  std::function<std::string(Config&, const std::string& value)> apply;
  bool is_switch = false;  // may be given without a value, meaning "true"
};

bool IsDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

std::string ApplyListen(Config& c, const std::string& value) {
  // HOST:PORT, with [v6]:PORT for IPv6 addresses.
  std::string host;
  std::string port;
  if (value.starts_with("[")) {
    const auto close = value.find("]:");
    if (close == std::string::npos) return "expected [ADDRESS]:PORT";
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
  } else {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos) return "expected HOST:PORT, e.g. 127.0.0.1:4566";
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (host.empty() || !IsDigits(port) || ec != std::errc() || end != port.data() + port.size() ||
      number > 65535) {
    return "expected HOST:PORT with a port from 0 to 65535";
  }
  if (host == "localhost") host = "127.0.0.1";
  c.listen_host = host;
  c.listen_port = static_cast<uint16_t>(number);
  return {};
}

std::string ApplyAccount(Config& c, const std::string& value) {
  if (value.size() != 12 || !IsDigits(value)) return "an AWS account id is 12 digits";
  c.account_id = value;
  return {};
}

std::string ApplyRegion(Config& c, const std::string& value) {
  static const std::regex kRegion("[a-z]{2}(-[a-z]+)+-[0-9]+");
  if (!std::regex_match(value, kRegion)) return "expected a region name such as us-east-1";
  c.region = value;
  return {};
}

std::string ApplyRegistryHost(Config& c, const std::string& value) {
  static const std::regex kHost(R"([A-Za-z0-9.-]+(:[0-9]{1,5})?)");
  if (!std::regex_match(value, kHost)) {
    return "expected HOST or HOST:PORT without a scheme, e.g. localhost:4566";
  }
  c.registry_host = value;
  return {};
}

std::string ApplyLogLevel(Config& c, const std::string& value) {
  if (!log::ParseLevel(value, c.log_level)) return "expected debug, info, warn or error";
  return {};
}

std::string ApplyDataDir(Config& c, const std::string& value) {
  if (value.empty()) return "the data directory cannot be empty";
  c.data_dir = value;
  return {};
}

std::string ApplyThreads(Config& c, const std::string& value) {
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || end != value.data() + value.size() || number < 1 || number > 64) {
    return "expected a number of threads from 1 to 64";
  }
  c.threads = number;
  return {};
}

std::string ApplyMaxConnections(Config& c, const std::string& value) {
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || end != value.data() + value.size() || number < 8 || number > 65536) {
    return "expected a number of connections from 8 to 65536";
  }
  c.max_connections = number;
  return {};
}

std::string ApplyRequireAuth(Config& c, const std::string& value) {
  if (value == "true" || value == "1" || value == "yes") {
    c.require_auth = true;
  } else if (value == "false" || value == "0" || value == "no") {
    c.require_auth = false;
  } else {
    return "expected true or false";
  }
  return {};
}

std::string ApplyCredentials(Config& c, const std::string& value) {
  if (value.empty()) return "the credentials file path cannot be empty";
  c.credentials_file = value;
  return {};
}

std::string ApplyRegisterLocalInstance(Config& c, const std::string& value) {
  if (value == "true" || value == "1" || value == "yes") {
    c.register_local_instance = true;
  } else if (value == "false" || value == "0" || value == "no") {
    c.register_local_instance = false;
  } else {
    return "expected true or false";
  }
  return {};
}

std::string ApplyEngines(Config& c, const std::string& value) {
  // One endpoint per flag, or several separated by commas.
  size_t start = 0;
  while (start <= value.size()) {
    const size_t comma = std::min(value.find(',', start), value.size());
    const std::string endpoint = value.substr(start, comma - start);
    const bool tcp = endpoint.starts_with("tcp://") && endpoint.size() > 6;
    if (!endpoint.starts_with("unix:///") && !tcp) {
      return "expected Docker engines as unix:///path or tcp://host:port, separated by commas";
    }
    c.engines.push_back(endpoint);
    start = comma + 1;
  }
  return {};
}

const std::vector<Option>& Options() {
  static const std::vector<Option> kOptions = {
      {"--listen", "BERTH_LISTEN", "HOST:PORT to serve on (default 127.0.0.1:4566)", ApplyListen},
      {"--data-dir", "BERTH_DATA_DIR",
       "directory for berth.db and image blobs (default $XDG_DATA_HOME/berth or "
       "~/.local/share/berth)",
       ApplyDataDir},
      {"--account-id", "BERTH_ACCOUNT_ID", "default AWS account id (default 000000000000)",
       ApplyAccount},
      {"--region", "BERTH_REGION", "default AWS region (default us-east-1)", ApplyRegion},
      {"--registry-host", "BERTH_REGISTRY_HOST",
       "registry host in repository URIs (default localhost:<port>)", ApplyRegistryHost},
      {"--log-level", "BERTH_LOG_LEVEL", "debug, info, warn or error (default info)",
       ApplyLogLevel},
      {"--threads", "BERTH_THREADS",
       "HTTP event-loop threads (default 1 on up to two cores, else 2)", ApplyThreads},
      {"--max-connections", "BERTH_MAX_CONNECTIONS",
       "open connections served at once; more are answered 503 (default 1024)",
       ApplyMaxConnections},
      {"--require-auth", "BERTH_REQUIRE_AUTH",
       "the registry needs a token from GetAuthorizationToken (default: anonymous allowed)",
       ApplyRequireAuth, true},
      {"--credentials", "BERTH_CREDENTIALS_FILE",
       "JSON file of access keys: verify SigV4 signatures and registry tokens strictly "
       "(default: any credentials)",
       ApplyCredentials},
      {"--register-local-instance", "BERTH_REGISTER_LOCAL_INSTANCE",
       "register the local Docker host as a container instance of every new ECS cluster "
       "(default: clusters start with none, as on AWS)",
       ApplyRegisterLocalInstance, true},
      {"--engine", "BERTH_ENGINES",
       "a Docker engine (unix:///path or tcp://host:port) every new ECS cluster gets as a "
       "container instance; repeat it, or separate several with commas",
       ApplyEngines},
  };
  return kOptions;
}

std::string DefaultDataDir(const EnvLookup& env) {
  if (auto xdg = env("XDG_DATA_HOME"); xdg && !xdg->empty()) return *xdg + "/berth";
  if (auto home = env("HOME"); home && !home->empty()) return *home + "/.local/share/berth";
  return "./berth-data";
}

}  // namespace

std::string Usage() {
  std::string text =
      "Usage: berth [options]\n"
      "A local emulator of Amazon ECR and Amazon ECS on one port.\n\n"
      "Options (each also read from the environment variable shown; flags win):\n";
  for (const auto& option : Options()) {
    std::string left = "  " + option.flag + (option.is_switch ? "[=BOOL]" : " VALUE");
    left.resize(std::max<size_t>(left.size() + 2, 26), ' ');
    text += left + option.help + "  [" + option.env + "]\n";
  }
  text +=
      "  --help                  print this help and exit\n"
      "  --version               print the version and exit\n"
      "  --list-operations       print which ECR and ECS operations are emulated\n";
  return text;
}

ParseResult ParseConfig(const std::vector<std::string>& args, const EnvLookup& env) {
  Config config;
  const auto& options = Options();
  // Flags first (collected), then the environment for options no flag set:
  // flags win, and a bad variable a flag overrides does not matter.
  std::vector<std::pair<const Option*, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return {std::nullopt, Usage(), 0};
    if (arg == "--version") return {std::nullopt, std::string("berth ") + BERTH_VERSION, 0};
    std::string name = arg;
    std::optional<std::string> value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const auto it = std::find_if(options.begin(), options.end(),
                                 [&](const Option& o) { return o.flag == name; });
    if (it == options.end()) {
      return {std::nullopt, "berth: unknown option '" + arg + "' (see berth --help)", 2};
    }
    if (!value && it->is_switch) value = "true";
    if (!value) {
      // The next argument is the value, unless it is another option.
      if (i + 1 >= args.size() || args[i + 1].starts_with("--")) {
        return {std::nullopt, "berth: " + name + " needs a value", 2};
      }
      value = args[++i];
    }
    flags.emplace_back(&*it, *value);
  }
  for (const auto& option : options) {
    const bool flagged =
        std::any_of(flags.begin(), flags.end(), [&](const auto& f) { return f.first == &option; });
    if (flagged) continue;
    if (auto value = env(option.env)) {
      if (auto error = option.apply(config, *value); !error.empty()) {
        return {std::nullopt, "berth: invalid " + option.env + "='" + *value + "': " + error, 2};
      }
    }
  }
  for (const auto& [option, value] : flags) {
    if (auto error = option->apply(config, value); !error.empty()) {
      return {std::nullopt, "berth: invalid " + option->flag + " '" + value + "': " + error, 2};
    }
  }
  if (config.data_dir.empty()) config.data_dir = DefaultDataDir(env);
  return {config, "", 0};
}

}  // namespace berth
