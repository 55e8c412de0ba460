// awslogs.h: a container definition's awslogs options → where its output
// goes and what ECS reports, Docker's refusals in Docker's words, and lines
// → events as Docker's awslogs driver makes them (tables of cases).

#include "server/reconciler/awslogs.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::reconciler {
namespace {

using nlohmann::json;

const AwslogsTask kTask{"000000000000", "us-east-1", "0123456789abcdef0123456789abcdef"};

json Definition(const json& options, const std::string& driver = "awslogs") {
  return {{"name", "web"},
          {"image", "app:1"},
          {"logConfiguration", {{"logDriver", driver}, {"options", options}}}};
}

TEST(AwslogsTest, AStreamPrefixNamesTheStreamAfterContainerAndTask) {
  const auto s = AwslogsFor(Definition({{"awslogs-group", "/ecs/web"},
                                        {"awslogs-region", "eu-west-1"},
                                        {"awslogs-stream-prefix", "ecs"},
                                        {"awslogs-create-group", "true"}}),
                            kTask, "c0ffee");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->destination.account_id, "000000000000");
  EXPECT_EQ(s->destination.region, "eu-west-1");
  EXPECT_EQ(s->destination.group, "/ecs/web");
  EXPECT_EQ(s->destination.stream, "ecs/web/0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(s->create_group);
  EXPECT_EQ(s->multiline_pattern, "");
  EXPECT_EQ(s->flush_interval, std::chrono::seconds(5));
  // What ECS reports: no prefix, the computed stream
  EXPECT_EQ(s->docker_options,
            (std::map<std::string, std::string>{
                {"awslogs-group", "/ecs/web"},
                {"awslogs-region", "eu-west-1"},
                {"awslogs-create-group", "true"},
                {"awslogs-stream", "ecs/web/0123456789abcdef0123456789abcdef"}}));
}

TEST(AwslogsTest, WithoutAPrefixTheStreamIsTheContainerIdOrAwslogsStream) {
  // The task's region when none is given; Docker's {{.FullID}} default.
  const auto by_id = AwslogsFor(Definition({{"awslogs-group", "g"}}), kTask, "c0ffee");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->destination.region, "us-east-1");
  EXPECT_EQ(by_id->destination.stream, "c0ffee");
  EXPECT_FALSE(by_id->create_group);
  EXPECT_EQ(by_id->docker_options.at("awslogs-region"), "us-east-1");
  EXPECT_FALSE(by_id->docker_options.contains("awslogs-stream"));
  // Before the container exists the stream is not known yet.
  EXPECT_EQ(AwslogsFor(Definition({{"awslogs-group", "g"}}), kTask)->destination.stream, "");
  EXPECT_EQ(AwslogsFor(Definition({{"awslogs-group", "g"}, {"awslogs-stream", "mine"}}), kTask)
                ->destination.stream,
            "mine");
  EXPECT_EQ(AwslogsFor(Definition({{"awslogs-group", "g"}, {"tag", "app-{{.ID}}"}}), kTask,
                       "0123456789abcdef")
                ->destination.stream,
            "app-0123456789ab");
}

TEST(AwslogsTest, OtherDriversAreNotAwslogs) {
  EXPECT_FALSE(AwslogsFor(Definition({{"max-size", "1m"}}, "json-file"), kTask));
  EXPECT_FALSE(AwslogsFor(json{{"name", "web"}}, kTask));
}

TEST(AwslogsTest, CreateGroupReadsLikeGo) {
  for (const char* yes : {"true", "1", "t", "TRUE", "True"}) {
    EXPECT_TRUE(
        AwslogsFor(Definition({{"awslogs-group", "g"}, {"awslogs-create-group", yes}}), kTask)
            ->create_group)
        << yes;
  }
  EXPECT_FALSE(
      AwslogsFor(Definition({{"awslogs-group", "g"}, {"awslogs-create-group", "false"}}), kTask)
          ->create_group);
}

TEST(AwslogsTest, OptionsDockerRefusesFailWithItsMessage) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json::object(), "must specify a value for log opt 'awslogs-group'"},
      {{{"awslogs-group", "g"}, {"awslogs-foo", "1"}},
       "unknown log opt 'awslogs-foo' for awslogs log driver"},
      {{{"awslogs-group", "g"}, {"awslogs-create-group", "yes"}},
       "must specify valid value for log opt 'awslogs-create-group': strconv.ParseBool: parsing "
       "\"yes\": invalid syntax"},
      {{{"awslogs-group", "g"},
        {"awslogs-datetime-format", "%Y"},
        {"awslogs-multiline-pattern", "^x"}},
       "you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' at "
       "the same time"},
      {{{"awslogs-group", "g"}, {"mode", "fast"}}, "logger: logger mode not supported: fast"},
      {{{"awslogs-group", "g"}, {"max-buffer-size", "4m"}},
       "logger: max-buffer-size option is only supported with 'mode=non-blocking'"},
      {{{"awslogs-group", "g"}, {"awslogs-force-flush-interval-seconds", "0"}},
       "must specify a positive integer for log opt 'awslogs-force-flush-interval-seconds': 0"},
  };
  for (const auto& [options, message] : cases) {
    try {
      AwslogsFor(Definition(options), kTask);
      ADD_FAILURE() << options.dump() << " was accepted";
    } catch (const AwslogsOptionError& e) {
      EXPECT_EQ(std::string(e.what()), message) << options.dump();
    }
  }
  try {
    AwslogsFor(Definition({{"awslogs-group", "g"}, {"awslogs-multiline-pattern", "(x"}}), kTask);
    ADD_FAILURE() << "a bad pattern was accepted";
  } catch (const AwslogsOptionError& e) {
    EXPECT_TRUE(
        std::string(e.what()).starts_with("awslogs could not parse multiline pattern key \"(x\": "))
        << e.what();
  }
  // Non-blocking mode and its buffer are fine.
  EXPECT_TRUE(AwslogsFor(Definition({{"awslogs-group", "g"},
                                     {"mode", "non-blocking"},
                                     {"max-buffer-size", "4m"},
                                     {"awslogs-force-flush-interval-seconds", "2"}}),
                         kTask)
                  ->flush_interval == std::chrono::seconds(2));
}

TEST(AwslogsTest, DatetimeFormatBecomesDockersRegex) {
  EXPECT_EQ(DatetimeFormatPattern("%Y-%m-%d"),
            "\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[1,2][0-9]|3[0,1])");
  EXPECT_EQ(DatetimeFormatPattern("[%H:%M:%S%L]"),
            "[(?:[0,1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\.\\d{3}]");
  // Sequences it does not know (and "%%") become nothing.
  EXPECT_EQ(DatetimeFormatPattern("%Q100%%"), "100");
  const auto s =
      AwslogsFor(Definition({{"awslogs-group", "g"}, {"awslogs-datetime-format", "%b %d"}}), kTask);
  EXPECT_EQ(s->multiline_pattern,
            "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?:0[1-9]|[1,2][0-9]|3[0,1])");
}

std::vector<TimedLine> Lines(const std::vector<std::string>& texts) {
  std::vector<TimedLine> out;
  int64_t at = 1000;
  for (const auto& t : texts) out.push_back({t, at++});
  return out;
}

TEST(AwslogsTest, LinesBecomeEventsLikeDockersDriver) {
  struct Case {
    const char* name;
    std::string pattern;
    std::vector<std::string> lines;
    std::vector<LogEvent> events;
  };
  const std::vector<Case> cases = {
      {"one event per line, empty lines dropped, \\r kept",
       "",
       {"a", "", "b\r", "c"},
       {{1000, "a"}, {1002, "b\r"}, {1003, "c"}}},
      {"a matching line starts an event; events end with a newline",
       "^\\d{4}-",
       {"2026-01-01 start", "  at frame 1", "  at frame 2", "2026-01-01 next"},
       {{1000, "2026-01-01 start\n  at frame 1\n  at frame 2\n"}, {1003, "2026-01-01 next\n"}}},
      {"lines before the first match form an event of their own; empty lines are kept",
       "^INFO",
       {"banner", "", "INFO one", "INFO two", ""},
       {{1000, "banner\n\n"}, {1002, "INFO one\n"}, {1003, "INFO two\n\n"}}},
      {"the pattern matches anywhere in the line",
       "ERROR",
       {"x ERROR a", "b", "y ERROR c"},
       {{1000, "x ERROR a\nb\n"}, {1002, "y ERROR c\n"}}},
  };
  for (const auto& c : cases) {
    const auto events = GroupLines(Lines(c.lines), c.pattern);
    ASSERT_EQ(events.size(), c.events.size()) << c.name;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].message, c.events[i].message) << c.name << " #" << i;
      EXPECT_EQ(events[i].timestamp_ms, c.events[i].timestamp_ms) << c.name << " #" << i;
    }
  }
}

TEST(AwslogsTest, EventsAreCutAtTheLimitNeverInsideACharacter) {
  // A line of the limit exactly is one event; with an invalid byte (counted
  // as U+FFFD, 3 bytes) it no longer fits.
  const std::string full(kMaxEventBytes, 'a');
  EXPECT_EQ(GroupLines({{full, 1}}, "").size(), 1u);
  const std::string invalid = std::string(kMaxEventBytes - 2, 'a') + "\xff";
  EXPECT_EQ(EffectiveLength(invalid), kMaxEventBytes + 1);
  const auto cut = GroupLines({{invalid, 1}}, "");
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[1].message, "\xff");
  // A 3-byte character straddling the limit moves whole to the next event.
  const std::string euro = std::string(kMaxEventBytes - 1, 'a') + "\xe2\x82\xac";
  const auto split = GroupLines({{euro, 7}}, "");
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].message.size(), kMaxEventBytes - 1);
  EXPECT_EQ(split[1].message, "\xe2\x82\xac");
  EXPECT_EQ(split[1].timestamp_ms, 7);
  // Multiline: an event is cut before it would pass the limit.
  const std::string half(kMaxEventBytes / 2, 'h');
  const auto grouped = GroupLines({{"START", 1}, {half, 2}, {half, 3}}, "^START");
  ASSERT_EQ(grouped.size(), 2u);
  EXPECT_EQ(grouped[0].message, "START\n" + half + "\n");
  EXPECT_EQ(grouped[1].message, half + "\n");
  EXPECT_EQ(grouped[1].timestamp_ms, 3);
}

}  // namespace
}  // namespace berth::reconciler
