#pragma once

// How a container instance names the Docker engine it stands for, shared by
// the ECS layer (which registers instances) and the reconciler (which drives
// their engines). An instance of the engine Berth runs on is "local"; any
// other carries its endpoint in the attribute `berth.docker-host`, in
// DOCKER_HOST's form (unix:///path or tcp://host:port), with two addresses
// beside it:
//   - `berth.host-address`: the engine's host as clients reach it; published
//     ports are bound there and reported in networkBindings (default: the
//     host of a tcp:// endpoint, else 127.0.0.1);
//   - `berth.berth-address`: where the engine reaches Berth (its registry
//     and the task endpoints). Berth listens there too (default: the local
//     address Berth's own connections to a tcp:// engine leave from);
//   - `berth.docker-cert-path`: for a tcp:// engine behind Docker's
//     --tlsverify, the directory (on Berth's host) of the ca.pem, cert.pem
//     and key.pem Berth reaches it with, as DOCKER_CERT_PATH is for the
//     docker CLI (default: Berth's own DOCKER_TLS_VERIFY/DOCKER_CERT_PATH).

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::engines {

inline constexpr std::string_view kLocal = "local";
inline constexpr std::string_view kDockerHostAttribute = "berth.docker-host";
inline constexpr std::string_view kHostAddressAttribute = "berth.host-address";
inline constexpr std::string_view kBerthAddressAttribute = "berth.berth-address";
inline constexpr std::string_view kDockerCertPathAttribute = "berth.docker-cert-path";

// One engine of the fleet, as the reconciler drives it.
struct Engine {
  std::string endpoint = std::string(kLocal);  // "local", unix:///..., tcp://host:port
  std::string host_address = "127.0.0.1";      // where its published ports are bound
  std::string berth_address;                   // where it reaches Berth; "" for local
  std::string cert_path;                       // its own TLS files; "": Berth's setting

  bool local() const { return endpoint == kLocal; }
};

// The engine of an instance: its `engine` column and the `attributes` of its
// registration document ([{name, value}]).
inline Engine EngineOf(const std::string& engine, const nlohmann::json& attributes) {
  Engine out;
  out.endpoint = engine;
  if (out.local() || !attributes.is_array()) return out;
  for (const auto& a : attributes) {
    if (!a.is_object() || !a.contains("value") || !a["value"].is_string()) continue;
    const std::string name = a.value("name", "");
    if (name == kHostAddressAttribute) out.host_address = a["value"].get<std::string>();
    if (name == kBerthAddressAttribute) out.berth_address = a["value"].get<std::string>();
    if (name == kDockerCertPathAttribute) out.cert_path = a["value"].get<std::string>();
  }
  return out;
}

// The host of a tcp:// endpoint ("10.0.0.2" of tcp://10.0.0.2:2375); nullopt
// for other endpoints.
inline std::optional<std::string> TcpHostOf(std::string_view endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (!endpoint.starts_with(kTcp)) return std::nullopt;
  std::string_view rest = endpoint.substr(kTcp.size());
  rest = rest.substr(0, rest.find('/'));
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.rfind(':')));
}

}  // namespace berth::engines
