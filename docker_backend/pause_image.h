#pragma once

// The pause image: the container whose network namespace an awsvpc task's
// containers share (NetworkMode "container:<pause id>"; reference
// docker-engine-api.md §2.3, §2.4 and §6).
//
// Berth never pulls it. The program (pause/pause.c, a few KB, static, no
// libc) is compiled at build time and embedded in the berth binary, and
// PauseImageTar() wraps it in a docker-archive that POST /images/load
// accepts. The archive is byte-for-byte deterministic, so the image id
// (the sha256 of its config) is the same on every run and every machine of
// one architecture.
//
// Archive layout (every entry a ustar regular file, owner 0:0, mtime
// kPauseImageCreated):
//   manifest.json  [{"Config":"config.json","RepoTags":[<tag>],"Layers":["layer.tar"]}]
//   config.json    {"architecture":<host>,"config":{"Entrypoint":["/pause"],
//                   "Labels":{"berth.managed":"1",...}},"created":...,"os":"linux",
//                   "rootfs":{"diff_ids":["sha256:<sha256 of layer.tar>"],"type":"layers"}}
//   layer.tar      one entry, "pause", mode 0755
//
// Thread-safety: the functions share no mutable state.

#include <map>
#include <string>
#include <string_view>

#include "docker_backend/docker_api.h"

namespace berth::docker {

// The name Berth loads the pause image under. Bump the tag whenever
// pause.c or the archive layout changes: EnsurePauseImage trusts an image
// that already carries this name.
inline constexpr const char* kPauseImage = "berth/pause:1.2";

// The image's "created" time (and the mtime of every archive entry).
inline constexpr const char* kPauseImageCreated = "2026-01-01T00:00:00Z";
inline constexpr long long kPauseImageCreatedEpoch = 1767225600;

// Docker's name for the architecture Berth (and so the pause program) was
// built for: "amd64" or "arm64".
const char* HostArchitecture();

// The embedded pause program (a static ELF executable).
std::string_view PauseBinary();

// The docker-archive of the pause image, tagged `repo_tag`. Labels are
// {"berth.managed":"1"} plus `extra_labels` (tests give their images their
// own tag and labels; Berth uses the defaults). Deterministic: equal
// arguments give equal bytes.
std::string PauseImageTar(std::string_view repo_tag = kPauseImage,
                          const std::map<std::string, std::string>& extra_labels = {});

// Loads the pause image (kPauseImage) into the daemon unless it is already
// there: ImageExists, then LoadImage only when missing. Idempotent; throws
// DockerError from either call.
void EnsurePauseImage(DockerApi& docker);

}  // namespace berth::docker
