// FakeDocker's networks: creation from Docker's default pools or a given
// subnet, removal, lookup, and address allocation for containers.

#include <algorithm>
#include <memory>
#include <sstream>

#include "tests/fakes/fake_docker.h"
#include "tests/fakes/fake_docker_internals.h"
#include "tests/fakes/fake_docker_references.h"

namespace berth::testing {

using docker::DockerError;
using fake_docker::Cidr;
using fake_docker::FormatIpv4;
using fake_docker::IsHex;
using fake_docker::ParseCidr;
using fake_docker::ParseIpv4;

namespace fake_docker {

std::optional<std::uint32_t> ParseIpv4(const std::string& text) {
  std::uint32_t value = 0;
  std::istringstream parts(text);
  std::string part;
  int count = 0;
  while (std::getline(parts, part, '.')) {
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    const int octet = std::stoi(part);
    if (octet > 255 || ++count > 4) return std::nullopt;
    value = (value << 8) | static_cast<std::uint32_t>(octet);
  }
  if (count != 4 || text.ends_with(".")) return std::nullopt;
  return value;
}

std::string FormatIpv4(std::uint32_t value) {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 255) + "." +
         std::to_string((value >> 8) & 255) + "." + std::to_string(value & 255);
}

std::optional<Cidr> ParseCidr(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto address = ParseIpv4(text.substr(0, slash));
  const std::string bits = text.substr(slash + 1);
  if (!address || bits.empty() || bits.size() > 2 ||
      !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  Cidr cidr;
  cidr.bits = std::stoi(bits);
  if (cidr.bits > 30) return std::nullopt;
  cidr.base = *address & cidr.Mask();
  return cidr;
}

}  // namespace fake_docker

FakeDocker::Network* FakeDocker::FindNetwork(const std::string& id_or_name) {
  const std::string key = id_or_name == "default" ? "bridge" : id_or_name;
  for (const auto& n : networks_) {
    if (n->id == key || n->name == key) return n.get();
  }
  if (!IsHex(key)) return nullptr;
  Network* found = nullptr;
  for (const auto& n : networks_) {
    if (n->id.starts_with(key)) {
      if (found != nullptr) return nullptr;
      found = n.get();
    }
  }
  return found;
}

std::string FakeDocker::AllocateAddress(Network& network, const std::string& fixed,
                                        const std::string& container_id) {
  const Cidr& subnet = *network.subnet;
  if (!fixed.empty()) {
    const auto address = ParseIpv4(fixed);
    if (!address || !subnet.Contains(*address)) {
      throw DockerError(500, "Invalid address " + fixed +
                                 ": It does not belong to any of this network's subnets");
    }
    if (network.used.contains(*address) || *address == network.gateway) {
      throw DockerError(403, "Address already in use");
    }
    network.used[*address] = container_id;
    return fixed;
  }
  const std::uint32_t broadcast = subnet.base | ~subnet.Mask();
  for (std::uint32_t address = subnet.base + 1; address < broadcast; ++address) {
    if (address == network.gateway || network.used.contains(address)) continue;
    network.used[address] = container_id;
    return FormatIpv4(address);
  }
  throw DockerError(500, "no available IPv4 addresses on this network's address pools: " +
                             network.name + " (" + network.id + ")");
}

std::string FakeDocker::CreateNetwork(const std::string& name, const std::string& subnet,
                                      const std::string& gateway,
                                      const std::map<std::string, std::string>& labels) {
  const std::lock_guard lock(mutex_);
  Record("CreateNetwork", {name, subnet, gateway});
  for (const auto& n : networks_) {
    if (n->name == name) return n->id;  // 409 in Docker; the answer is the existing id
  }
  std::optional<Cidr> cidr;
  if (!subnet.empty()) {
    cidr = ParseCidr(subnet);
    if (!cidr) throw DockerError(400, "invalid CIDR address: " + subnet);
    for (const auto& n : networks_) {
      if (n->subnet && n->subnet->Overlaps(*cidr)) {
        throw DockerError(403, "Pool overlaps with other one on this address space");
      }
    }
  } else {
    // Docker's default pools: 172.18.0.0/16, 172.19.0.0/16, ...
    for (std::uint32_t second = 18; second < 32 && !cidr; ++second) {
      const Cidr candidate{(172u << 24) | (second << 16), 16};
      if (std::none_of(networks_.begin(), networks_.end(), [&candidate](const auto& n) {
            return n->subnet && n->subnet->Overlaps(candidate);
          })) {
        cidr = candidate;
      }
    }
    if (!cidr) {
      throw DockerError(500,
                        "could not find an available, non-overlapping IPv4 address pool among "
                        "the defaults to assign to the network");
    }
  }
  auto network = std::make_unique<Network>();
  network->id = NewId("network");
  network->name = name;
  network->subnet = cidr;
  network->gateway = cidr->base + 1;
  if (!gateway.empty()) {
    const auto address = ParseIpv4(gateway);
    if (!address || !cidr->Contains(*address)) {
      throw DockerError(400, "invalid gateway " + gateway + " for subnet " + subnet);
    }
    network->gateway = *address;
  }
  network->labels = labels;
  const std::string id = network->id;
  networks_.push_back(std::move(network));
  return id;
}

void FakeDocker::RemoveNetwork(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Record("RemoveNetwork", {id});
  Network* network = FindNetwork(id);
  if (network == nullptr) return;  // 404
  if (network->predefined) {
    throw DockerError(403, network->name + " is a pre-defined network and cannot be removed");
  }
  const bool in_use = std::any_of(containers_.begin(), containers_.end(), [network](const auto& c) {
    return c->running && c->network_id == network->id;
  });
  if (in_use) {
    throw DockerError(403, "error while removing network: network " + network->name + " id " +
                               network->id + " has active endpoints");
  }
  std::erase_if(networks_, [network](const auto& n) { return n.get() == network; });
}

std::vector<docker::NetworkSummary> FakeDocker::ListNetworks(
    const std::vector<std::string>& labels) {
  const std::lock_guard lock(mutex_);
  Record("ListNetworks", labels);
  std::vector<docker::NetworkSummary> out;
  for (const auto& n : networks_) {
    if (!fake_docker::HasLabels(n->labels, labels)) continue;
    out.push_back({n->id, n->name, n->subnet ? FormatIpv4(n->gateway) : "", n->labels});
  }
  return out;
}

}  // namespace berth::testing
