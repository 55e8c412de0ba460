#include "server/config.h"

#include <map>

#include <gtest/gtest.h>

namespace berth {
namespace {

ParseResult Parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return ParseConfig(args, [env](const std::string& name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ConfigTest, DefaultsMatchTheDocumentation) {
  const auto r = Parse({}, {{"HOME", "/home/u"}});
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->listen_host, "127.0.0.1");
  EXPECT_EQ(r.config->listen_port, 4566);
  EXPECT_EQ(r.config->account_id, "000000000000");
  EXPECT_EQ(r.config->region, "us-east-1");
  EXPECT_EQ(r.config->data_dir, "/home/u/.local/share/berth");
  EXPECT_TRUE(r.config->registry_host.empty());  // localhost:<bound port>
}

TEST(ConfigTest, FlagsWinOverEnvironment) {
  const auto r = Parse({"--listen", "0.0.0.0:5000", "--region=eu-west-1"},
                       {{"BERTH_LISTEN", "127.0.0.1:6000"},
                        {"BERTH_REGION", "us-west-2"},
                        {"BERTH_ACCOUNT_ID", "123456789012"},
                        {"BERTH_DATA_DIR", "/d"}});
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->listen_host, "0.0.0.0");
  EXPECT_EQ(r.config->listen_port, 5000);
  EXPECT_EQ(r.config->region, "eu-west-1");
  EXPECT_EQ(r.config->account_id, "123456789012");
  EXPECT_EQ(r.config->data_dir, "/d");
}

TEST(ConfigTest, BadValuesAreClearErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--listen", "nonsense"},
                                                                {"--listen", "127.0.0.1:70000"},
                                                                {"--account-id", "12"},
                                                                {"--region", "Mars"},
                                                                {"--log-level", "loud"},
                                                                {"--registry-host", "http://x"},
                                                                {"--bogus"},
                                                                {"--region"}}) {
    const auto r = Parse(args);
    EXPECT_FALSE(r.config.has_value()) << args[0];
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.message.find("berth:"), std::string::npos) << r.message;
  }
  const auto env = Parse({}, {{"BERTH_ACCOUNT_ID", "abc"}});
  EXPECT_NE(env.message.find("BERTH_ACCOUNT_ID"), std::string::npos);
}

TEST(ConfigTest, AFlagOverridesABadVariable) {
  const auto r = Parse({"--listen", "127.0.0.1:4703"}, {{"BERTH_LISTEN", "bad"}});
  ASSERT_TRUE(r.config.has_value()) << r.message;
  EXPECT_EQ(r.config->listen_port, 4703);
}

TEST(ConfigTest, AMissingValueIsNotTakenFromTheNextOption) {
  const auto r = Parse({"--registry-host", "--data-dir", "/x"});
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(r.message, "berth: --registry-host needs a value");
}

TEST(ConfigTest, HelpListsEveryFlagWithItsVariable) {
  const auto r = Parse({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* text :
       {"--listen", "BERTH_LISTEN", "--data-dir", "BERTH_DATA_DIR", "--account-id",
        "BERTH_ACCOUNT_ID", "--region", "BERTH_REGION", "--registry-host", "BERTH_REGISTRY_HOST",
        "--log-level", "BERTH_LOG_LEVEL"}) {
    EXPECT_NE(r.message.find(text), std::string::npos) << text;
  }
}

TEST(ConfigTest, Ipv6ListenAddress) {
  const auto r = Parse({"--listen", "[::1]:4566"});
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->listen_host, "::1");
}

TEST(ConfigTest, CredentialsFileFromFlagOrEnvironment) {
  EXPECT_EQ(Parse({}).config->credentials_file, "");
  EXPECT_EQ(Parse({"--credentials", "/etc/berth/keys.json"}).config->credentials_file,
            "/etc/berth/keys.json");
  EXPECT_EQ(Parse({}, {{"BERTH_CREDENTIALS_FILE", "/k.json"}}).config->credentials_file, "/k.json");
  EXPECT_EQ(Parse({"--credentials="}).exit_code, 2);
  EXPECT_NE(Parse({"--help"}).message.find("BERTH_CREDENTIALS_FILE"), std::string::npos);
}

TEST(ConfigTest, EnginesFromRepeatedFlagsOrACommaSeparatedVariable) {
  auto r = Parse({"--engine", "tcp://10.0.0.2:2375", "--engine=unix:///run/b.sock"});
  ASSERT_TRUE(r.config.has_value()) << r.message;
  EXPECT_EQ(r.config->engines,
            (std::vector<std::string>{"tcp://10.0.0.2:2375", "unix:///run/b.sock"}));
  r = Parse({}, {{"BERTH_ENGINES", "tcp://10.0.0.2:2375,tcp://10.0.0.6:2375"}});
  ASSERT_TRUE(r.config.has_value()) << r.message;
  EXPECT_EQ(r.config->engines.size(), 2u);
  EXPECT_TRUE(Parse({}).config->engines.empty());
  for (const std::string bad : {"http://h:1", "tcp://", "unix://relative", "tcp://a:1,"}) {
    r = Parse({"--engine", bad});
    EXPECT_FALSE(r.config.has_value()) << bad;
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.message.find("unix:///path or tcp://host:port"), std::string::npos) << r.message;
  }
}

}  // namespace
}  // namespace berth
