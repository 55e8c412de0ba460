#include "server/reconciler/awslogs.h"

#include <algorithm>
#include <set>

namespace berth::reconciler {
namespace {

using nlohmann::json;

// The options Docker's awslogs driver takes (daemon/logger/awslogs
// ValidateLogOpt), the generic ones every driver takes, and ECS's own
// awslogs-stream-prefix (which ECS turns into awslogs-stream).
const std::set<std::string>& KnownOptions() {
  static const std::set<std::string> kKnown = {
      "tag",
      "awslogs-group",
      "awslogs-stream",
      "awslogs-create-group",
      "awslogs-create-stream",
      "awslogs-region",
      "awslogs-endpoint",
      "awslogs-datetime-format",
      "awslogs-multiline-pattern",
      "awslogs-credentials-endpoint",
      "awslogs-force-flush-interval-seconds",
      "awslogs-max-buffered-events",
      "awslogs-format",
      "awslogs-stream-prefix",
      "mode",
      "max-buffer-size",
  };
  return kKnown;
}

// Go's strconv.ParseBool, with Docker's message for `option` on failure.
bool ParseBool(const std::string& option, const std::string& value) {
  static const std::set<std::string> kTrue = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> kFalse = {"0", "f", "F", "FALSE", "false", "False"};
  if (kTrue.contains(value)) return true;
  if (kFalse.contains(value)) return false;
  throw AwslogsOptionError("must specify valid value for log opt '" + option +
                           "': strconv.ParseBool: parsing \"" + value + "\": invalid syntax");
}

// A positive integer, with Docker's message for `option` on failure.
int PositiveInteger(const std::string& option, const std::string& value) {
  int number = 0;
  bool ok = !value.empty() && value.size() < 10;
  for (const char c : value) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) number = number * 10 + (c - '0');
  }
  if (!ok || number <= 0) {
    throw AwslogsOptionError("must specify a positive integer for log opt '" + option +
                             "': " + value);
  }
  return number;
}

// Refuses what Docker's driver (and its generic checks) would refuse.
void Validate(const std::map<std::string, std::string>& options) {
  for (const auto& [key, value] : options) {
    if (!KnownOptions().contains(key)) {
      throw AwslogsOptionError("unknown log opt '" + key + "' for awslogs log driver");
    }
  }
  const auto get = [&options](const std::string& key) {
    const auto it = options.find(key);
    return it == options.end() ? std::string() : it->second;
  };
  const std::string mode = get("mode");
  if (!mode.empty() && mode != "blocking" && mode != "non-blocking") {
    throw AwslogsOptionError("logger: logger mode not supported: " + mode);
  }
  if (options.contains("max-buffer-size") && mode != "non-blocking") {
    throw AwslogsOptionError(
        "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  }
  if (get("awslogs-group").empty()) {
    throw AwslogsOptionError("must specify a value for log opt 'awslogs-group'");
  }
  for (const char* key : {"awslogs-create-group", "awslogs-create-stream"}) {
    if (!get(key).empty()) ParseBool(key, get(key));
  }
  for (const char* key : {"awslogs-force-flush-interval-seconds", "awslogs-max-buffered-events"}) {
    if (!get(key).empty()) PositiveInteger(key, get(key));
  }
  const bool datetime = options.contains("awslogs-datetime-format");
  const bool multiline = options.contains("awslogs-multiline-pattern");
  if (datetime && multiline) {
    throw AwslogsOptionError(
        "you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' "
        "at the same time");
  }
  if (!get("awslogs-format").empty()) {
    if (get("awslogs-format") != "json/emf") {
      throw AwslogsOptionError("unsupported log format '" + get("awslogs-format") + "'");
    }
    if (datetime || multiline) {
      throw AwslogsOptionError(
          "you cannot configure log opt 'awslogs-datetime-format' or "
          "'awslogs-multiline-pattern' when log opt 'awslogs-format' is set to 'json/emf'");
    }
  }
}

// Docker's default stream name ({{.FullID}}) or its `tag` template (of
// which {{.FullID}} and {{.ID}} are filled in).
std::string TagStream(std::string tag, const std::string& container_id) {
  if (tag.empty()) return container_id;
  const std::pair<const char*, std::string> fields[] = {{"{{.FullID}}", container_id},
                                                        {"{{.ID}}", container_id.substr(0, 12)}};
  for (const auto& [mark, value] : fields) {
    for (auto at = tag.find(mark); at != std::string::npos;
         at = tag.find(mark, at + value.size())) {
      tag.replace(at, std::string(mark).size(), value);
    }
  }
  return tag;
}

// The byte length of the valid UTF-8 character at `text[at]`, or 0 when the
// byte there starts none (Go's utf8.DecodeRune rules).
size_t RuneLength(std::string_view text, size_t at) {
  const auto byte = [&text](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(at);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
  }
  return length;
}

// Appends `bytes` as events of at most kMaxEventBytes (effective) each, cut
// between characters (Docker's processEvent with findValidSplit).
void AppendEvents(std::string_view bytes, int64_t timestamp_ms, std::vector<LogEvent>& out) {
  while (!bytes.empty()) {
    size_t split = bytes.size();
    if (bytes.size() * 3 > kMaxEventBytes) {  // else it fits, whatever its bytes
      size_t effective = 0;
      for (size_t at = 0; at < bytes.size();) {
        const size_t rune = RuneLength(bytes, at);
        const size_t cost = rune == 0 ? 3 : rune;
        if (effective + cost > kMaxEventBytes) {
          split = at;
          break;
        }
        effective += cost;
        at += rune == 0 ? 1 : rune;
      }
    }
    out.push_back({timestamp_ms, std::string(bytes.substr(0, split))});
    bytes.remove_prefix(split);
  }
}

}  // namespace

size_t EffectiveLength(std::string_view text) {
  size_t effective = 0;
  for (size_t at = 0; at < text.size();) {
    const size_t rune = RuneLength(text, at);
    effective += rune == 0 ? 3 : rune;
    at += rune == 0 ? 1 : rune;
  }
  return effective;
}

std::string DatetimeFormatPattern(const std::string& format) {
  static const std::map<char, std::string> kSequences = {
      {'a', "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"},
      {'A', "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"},
      {'w', "[0-6]"},
      {'d', "(?:0[1-9]|[1,2][0-9]|3[0,1])"},
      {'b', "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"},
      {'B',
       "(?:January|February|March|April|May|June|July|August|September|October|November|"
       "December)"},
      {'m', "(?:0[1-9]|1[0-2])"},
      {'Y', "\\d{4}"},
      {'y', "\\d{2}"},
      {'H', "(?:[0,1][0-9]|2[0-3])"},
      {'I', "(?:0[0-9]|1[0-2])"},
      {'p', "[A,P]M"},
      {'M', "[0-5][0-9]"},
      {'S', "[0-5][0-9]"},
      {'f', "\\d{6}"},
      {'z', "[+-]\\d{4}"},
      {'Z', "[A-Z]{1,4}T"},
      {'j', "(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])"},
      {'L', "\\.\\d{3}"},
  };
  std::string out;
  for (size_t at = 0; at < format.size(); ++at) {
    // Go's "%." matches a '%' and the character after it (not a newline).
    if (format[at] != '%' || at + 1 >= format.size() || format[at + 1] == '\n') {
      out += format[at];
      continue;
    }
    const auto sequence = kSequences.find(format[at + 1]);
    if (sequence != kSequences.end()) out += sequence->second;
    ++at;
  }
  return out;
}

std::optional<AwslogsSettings> AwslogsFor(const json& definition, const AwslogsTask& task,
                                          const std::string& container_id) {
  if (!definition.contains("logConfiguration") || !definition["logConfiguration"].is_object()) {
    return std::nullopt;
  }
  const json& configuration = definition["logConfiguration"];
  if (configuration.value("logDriver", "") != "awslogs") return std::nullopt;
  std::map<std::string, std::string> options;
  if (configuration.contains("options") && configuration["options"].is_object()) {
    for (const auto& [key, value] : configuration["options"].items()) {
      options[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  Validate(options);
  const auto get = [&options](const std::string& key) {
    const auto it = options.find(key);
    return it == options.end() ? std::string() : it->second;
  };

  AwslogsSettings s;
  s.destination.account_id = task.account_id;
  s.destination.region = get("awslogs-region").empty() ? task.region : get("awslogs-region");
  s.destination.group = get("awslogs-group");
  const std::string prefix = get("awslogs-stream-prefix");
  if (!prefix.empty()) {
    s.destination.stream =
        prefix + "/" + definition.value("name", std::string()) + "/" + task.task_id;
  } else if (!get("awslogs-stream").empty()) {
    s.destination.stream = get("awslogs-stream");
  } else if (!container_id.empty()) {
    s.destination.stream = TagStream(get("tag"), container_id);
  }
  if (!get("awslogs-create-group").empty()) {
    s.create_group = ParseBool("awslogs-create-group", get("awslogs-create-group"));
  }
  s.multiline_pattern = options.contains("awslogs-datetime-format")
                            ? DatetimeFormatPattern(get("awslogs-datetime-format"))
                            : get("awslogs-multiline-pattern");
  if (!s.multiline_pattern.empty()) {
    try {
      const std::regex compiled(s.multiline_pattern);
    } catch (const std::regex_error& e) {
      throw AwslogsOptionError("awslogs could not parse multiline pattern key \"" +
                               s.multiline_pattern + "\": " + e.what());
    }
  }
  if (!get("awslogs-force-flush-interval-seconds").empty()) {
    s.flush_interval = std::chrono::seconds(PositiveInteger(
        "awslogs-force-flush-interval-seconds", get("awslogs-force-flush-interval-seconds")));
  }
  s.docker_options = options;
  s.docker_options.erase("awslogs-stream-prefix");
  s.docker_options["awslogs-region"] = s.destination.region;
  if (!prefix.empty()) s.docker_options["awslogs-stream"] = s.destination.stream;
  return s;
}

bool EventAssembler::Add(std::string_view line, int64_t timestamp_ms, std::vector<LogEvent>& out) {
  if (multiline_ == nullptr) {
    AppendEvents(line, timestamp_ms, out);  // an empty line makes none
    return false;
  }
  const size_t effective = EffectiveLength(line);
  bool starts = buffer_.empty();
  if (std::regex_search(line.begin(), line.end(), *multiline_) ||
      buffer_effective_ + effective > kMaxEventBytes) {
    Flush(out);
    starts = true;
  }
  if (starts) buffer_timestamp_ms_ = timestamp_ms;
  buffer_.append(line);
  buffer_effective_ += effective;
  if (effective < kMaxEventBytes) {
    buffer_ += '\n';
    ++buffer_effective_;
  }
  return starts;
}

void EventAssembler::Flush(std::vector<LogEvent>& out) {
  if (buffer_.empty()) return;
  AppendEvents(buffer_, buffer_timestamp_ms_, out);
  buffer_.clear();
  buffer_effective_ = 0;
}

std::vector<LogEvent> GroupLines(const std::vector<TimedLine>& lines,
                                 const std::string& multiline_pattern) {
  std::optional<std::regex> pattern;
  if (!multiline_pattern.empty()) pattern.emplace(multiline_pattern);
  EventAssembler assembler(pattern ? &*pattern : nullptr);
  std::vector<LogEvent> out;
  for (const auto& line : lines) assembler.Add(line.text, line.timestamp_ms, out);
  assembler.Flush(out);
  return out;
}

}  // namespace berth::reconciler
