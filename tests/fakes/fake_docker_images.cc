// FakeDocker's images: presence, pulls (with scripted failures), and
// docker-archive loads checked like the daemon checks them.

#include <algorithm>
#include <cctype>
#include <optional>

#include <nlohmann/json.hpp>

#include "server/util/crypto.h"
#include "tests/fakes/fake_docker.h"
#include "tests/fakes/fake_docker_references.h"
#include "tests/fakes/ustar_reader.h"

namespace berth::testing {

using crypto::Sha256Hex;
using docker::DockerError;
using fake_docker::IsHex;
using fake_docker::NormalizeReference;
using fake_docker::RepositoryPath;
using nlohmann::json;

const FakeDocker::Image* FakeDocker::FindImage(const std::string& reference) const {
  if (const auto it = images_.find(NormalizeReference(reference)); it != images_.end()) {
    return &it->second;
  }
  // By id: "sha256:<hex>" or a prefix of the hex.
  std::string hex = reference;
  if (hex.starts_with("sha256:")) hex.erase(0, 7);
  if (!IsHex(hex)) return nullptr;
  const Image* found = nullptr;
  for (const auto& [ref, image] : images_) {
    if (image.id.compare(7, hex.size(), hex) == 0) {
      if (found != nullptr && found->id != image.id) return nullptr;  // ambiguous
      found = &image;
    }
  }
  return found;
}

bool FakeDocker::ImageExists(const std::string& image) {
  const std::lock_guard lock(mutex_);
  Record("ImageExists", {image});
  return FindImage(image) != nullptr;
}

void FakeDocker::PullImage(const std::string& image, const std::string& registry_auth) {
  std::function<void(const std::string&)> during;
  {
    const std::lock_guard lock(mutex_);
    during = during_pull_;
  }
  // What happens while the pull is under way (the fake's lock is not held).
  if (during) during(image);
  const std::lock_guard lock(mutex_);
  Record("PullImage", {image, registry_auth});
  const std::string repository = RepositoryPath(image);
  if (std::any_of(repository.begin(), repository.end(),
                  [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; })) {
    throw DockerError(400, "invalid reference format: repository name must be lowercase");
  }
  const std::string reference = NormalizeReference(image);
  if (const auto it = pull_failures_.find(reference); it != pull_failures_.end()) {
    throw DockerError(it->second.first, it->second.second);
  }
  if (images_.contains(reference)) return;
  images_[reference] = {"sha256:" + Sha256Hex("fake-pulled-image:" + reference), FakeImageConfig{}};
}

void FakeDocker::DuringPull(std::function<void(const std::string&)> hook) {
  const std::lock_guard lock(mutex_);
  during_pull_ = std::move(hook);
}

void FakeDocker::LoadImage(const std::string& tar) {
  // Parse first (to record the tags), then record, then apply.
  struct Loaded {
    std::vector<std::string> tags;
    std::string id;
    FakeImageConfig config;
    std::vector<std::string> diff_ids;  // as the config claims
    std::vector<std::string> actual;    // sha256 of each layer.tar
  };
  std::vector<Loaded> loaded;
  std::optional<DockerError> error;
  const std::string import_dir = "/var/lib/docker/tmp/docker-import-0";
  try {
    const std::vector<TarEntry> entries = ReadUstar(tar);
    const TarEntry* manifest_entry = FindEntry(entries, "manifest.json");
    if (manifest_entry == nullptr) {
      throw DockerError(500, "open " + import_dir + "/repositories: no such file or directory");
    }
    const json manifest = json::parse(manifest_entry->data);
    for (const json& item : manifest) {
      const std::string config_name = item.at("Config").get<std::string>();
      const TarEntry* config_entry = FindEntry(entries, config_name);
      if (config_entry == nullptr) {
        throw DockerError(500,
                          "open " + import_dir + "/" + config_name + ": no such file or directory");
      }
      const json config = json::parse(config_entry->data);
      const json& diff_ids = config.at("rootfs").at("diff_ids");
      const json& layers = item.at("Layers");
      if (diff_ids.size() != layers.size()) {
        throw DockerError(500, "invalid manifest, layers length mismatch: expected " +
                                   std::to_string(diff_ids.size()) + ", got " +
                                   std::to_string(layers.size()));
      }
      Loaded image;
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string layer_name = layers[i].get<std::string>();
        const TarEntry* layer = FindEntry(entries, layer_name);
        if (layer == nullptr) {
          throw DockerError(
              500, "open " + import_dir + "/" + layer_name + ": no such file or directory");
        }
        image.diff_ids.push_back(diff_ids[i].get<std::string>());
        image.actual.push_back("sha256:" + Sha256Hex(layer->data));
      }
      image.id = "sha256:" + Sha256Hex(config_entry->data);
      image.config.env.clear();
      image.config.cmd.clear();
      const json& c = config.value("config", json::object());
      if (c.contains("Labels") && c["Labels"].is_object()) {
        image.config.labels = c["Labels"].get<std::map<std::string, std::string>>();
      }
      if (c.contains("Env") && c["Env"].is_array()) {
        image.config.env = c["Env"].get<std::vector<std::string>>();
      }
      if (c.contains("Entrypoint") && c["Entrypoint"].is_array()) {
        image.config.entrypoint = c["Entrypoint"].get<std::vector<std::string>>();
      }
      if (c.contains("Cmd") && c["Cmd"].is_array()) {
        image.config.cmd = c["Cmd"].get<std::vector<std::string>>();
      }
      if (item.contains("RepoTags") && item["RepoTags"].is_array()) {
        image.tags = item["RepoTags"].get<std::vector<std::string>>();
      }
      loaded.push_back(std::move(image));
    }
  } catch (const TarFormatError& e) {
    error = DockerError(500,
                        std::string("Error processing tar file(exit status 1): ") +
                            (e.truncated() ? "unexpected EOF" : "archive/tar: invalid tar header"));
  } catch (const DockerError& e) {
    error = e;
  } catch (const json::exception& e) {
    error = DockerError(500, std::string("invalid image archive: ") + e.what());
  }
  std::string tags;
  for (const auto& image : loaded) {
    for (const auto& tag : image.tags) tags += (tags.empty() ? "" : ",") + tag;
  }
  const std::lock_guard lock(mutex_);
  Record("LoadImage", {error ? std::string("<invalid>") : tags});
  if (error) throw *error;
  // Like the daemon, a layer chain it already has is not read again: only
  // new layers are checked against the config's diff_ids.
  for (const auto& image : loaded) {
    std::string chain;
    for (std::size_t i = 0; i < image.diff_ids.size(); ++i) {
      chain += image.diff_ids[i] + " ";
      if (!layer_chains_.contains(chain) && image.diff_ids[i] != image.actual[i]) {
        throw DockerError(500, "invalid diffID for layer " + std::to_string(i) + ": expected \"" +
                                   image.diff_ids[i] + "\", got \"" + image.actual[i] + "\"");
      }
    }
  }
  for (const auto& image : loaded) {
    std::string chain;
    for (const auto& diff_id : image.diff_ids) layer_chains_.insert(chain += diff_id + " ");
    for (const auto& tag : image.tags) images_[NormalizeReference(tag)] = {image.id, image.config};
  }
}

// --- Images -----------------------------------------------------------------------

std::string FakeDocker::AddImage(const std::string& reference, FakeImageConfig config) {
  const std::lock_guard lock(mutex_);
  json description = {{"reference", NormalizeReference(reference)},
                      {"labels", config.labels},
                      {"env", config.env},
                      {"entrypoint", config.entrypoint},
                      {"cmd", config.cmd}};
  Image image{"sha256:" + Sha256Hex(description.dump()), std::move(config)};
  const std::string id = image.id;
  images_[NormalizeReference(reference)] = std::move(image);
  return id;
}

void FakeDocker::FailPull(const std::string& reference, int http_status,
                          const std::string& message) {
  const std::lock_guard lock(mutex_);
  pull_failures_[NormalizeReference(reference)] = {http_status, message};
}

std::string FakeDocker::UnreachableRegistry(const std::string& registry_host) {
  const auto colon = registry_host.rfind(':');
  const std::string port = colon == std::string::npos ? "443" : registry_host.substr(colon + 1);
  std::string host = colon == std::string::npos ? registry_host : registry_host.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  return "Get \"http://" + registry_host + "/v2/\": dial tcp " + host + ":" + port +
         ": connect: connection refused";
}

std::string FakeDocker::ManifestUnknown(const std::string& reference) {
  return "manifest for " + NormalizeReference(reference) +
         " not found: manifest unknown: manifest unknown";
}

}  // namespace berth::testing
