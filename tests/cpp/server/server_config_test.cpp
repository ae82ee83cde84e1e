#include "server_config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace peaje::server {
namespace {

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(ServerConfig, Defaults) {
  const auto config = parse_config({}, env_of({}));
  ASSERT_TRUE(config);
  EXPECT_EQ(config->listen, std::vector<std::string>{"127.0.0.1:50051"});
  EXPECT_EQ(config->threads, 0);
  EXPECT_EQ(config->max_streams, 16);
  EXPECT_EQ(config->stream_idle_seconds, 30);
  EXPECT_EQ(config->max_message_bytes, 64 << 20);
  EXPECT_EQ(config->dataset_cache, 8u);
  EXPECT_EQ(config->drain_seconds, 10);
}

TEST(ServerConfig, FlagsRepeatListenAndTakeBothSpellings) {
  const auto config =
      parse_config({"--listen", "127.0.0.1:0", "--listen=unix:/tmp/p.sock", "--threads=3",
                    "--max-message-bytes", "2048", "--dataset-cache", "0", "--drain-seconds=1",
                    "--max-streams", "2", "--stream-idle-seconds=0"},
                   env_of({}));
  ASSERT_TRUE(config);
  EXPECT_EQ(config->listen, (std::vector<std::string>{"127.0.0.1:0", "unix:/tmp/p.sock"}));
  EXPECT_EQ(config->threads, 3);
  EXPECT_EQ(config->max_message_bytes, 2048);
  EXPECT_EQ(config->dataset_cache, 0u);
  EXPECT_EQ(config->drain_seconds, 1);
  EXPECT_EQ(config->max_streams, 2);
  EXPECT_EQ(config->stream_idle_seconds, 0);
}

TEST(ServerConfig, EnvironmentThenFlagsWin) {
  const auto env = env_of({{"PEAJE_LISTEN", "[::1]:7000,unix:/tmp/a.sock"},
                           {"PEAJE_THREADS", "2"},
                           {"PEAJE_DATASET_CACHE", "5"}});
  const auto from_env = parse_config({}, env);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->listen, (std::vector<std::string>{"[::1]:7000", "unix:/tmp/a.sock"}));
  EXPECT_EQ(from_env->threads, 2);
  EXPECT_EQ(from_env->dataset_cache, 5u);

  const auto flags = parse_config({"--listen", "127.0.0.1:1", "--threads", "9"}, env);
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->listen, std::vector<std::string>{"127.0.0.1:1"});  // replaces, not adds
  EXPECT_EQ(flags->threads, 9);
  EXPECT_EQ(flags->dataset_cache, 5u);
}

TEST(ServerConfig, ApiIsCallbackUnlessSyncIsAsked) {
  EXPECT_EQ(parse_config({}, env_of({}))->api, ServerConfig::Api::kCallback);
  EXPECT_EQ(parse_config({"--api", "sync"}, env_of({}))->api, ServerConfig::Api::kSync);
  const auto env = env_of({{"PEAJE_SERVER_API", "sync"}});
  EXPECT_EQ(parse_config({}, env)->api, ServerConfig::Api::kSync);
  EXPECT_EQ(parse_config({"--api=callback"}, env)->api, ServerConfig::Api::kCallback);
  EXPECT_THROW(parse_config({"--api", "async"}, env_of({})), ConfigError);
  EXPECT_THROW(parse_config({}, env_of({{"PEAJE_SERVER_API", ""}})), ConfigError);
}

TEST(ServerConfig, HelpIsNotAConfig) { EXPECT_FALSE(parse_config({"--help"}, env_of({}))); }

TEST(ServerConfig, BadValuesAreConfigErrorsNamingTheSetting) {
  const std::vector<std::vector<std::string>> bad = {
      {"--threads", "x"},           {"--threads", "-1"},        {"--max-message-bytes", "10"},
      {"--dataset-cache", "1.5"},   {"--listen", "nohostport"}, {"--listen", "unix:"},
      {"--listen", "127.0.0.1:"},   {"--drain-seconds"},        {"--unknown"},
      {"--threads", "99999999999"}, {"--max-streams", "-1"},    {"--stream-idle-seconds", "x"}};
  for (const auto& args : bad) {
    EXPECT_THROW(parse_config(args, env_of({})), ConfigError) << args[0];
  }
  try {
    parse_config({}, env_of({{"PEAJE_THREADS", "many"}}));
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("PEAJE_THREADS"), std::string::npos);
  }
}

}  // namespace
}  // namespace peaje::server
