#include "docker_backend/curl_library.h"

#include <dlfcn.h>
#include <mutex>
#include <string>

#include "docker_backend/docker_api.h"

namespace berth::docker {
namespace {

template <typename Fn>
void Resolve(void* handle, const char* name, Fn& out, std::string& missing) {
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    missing += std::string(missing.empty() ? "" : ", ") + name;
    return;
  }
  out = reinterpret_cast<Fn>(symbol);
}

// Loads the table, or says why it cannot.
std::string Load(CurlLibrary& lib) {
  void* handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return std::string("cannot load libcurl.so.4: ") + dlerror();
  std::string missing;
  Resolve(handle, "curl_easy_init", lib.easy_init, missing);
  Resolve(handle, "curl_easy_cleanup", lib.easy_cleanup, missing);
  Resolve(handle, "curl_easy_reset", lib.easy_reset, missing);
  Resolve(handle, "curl_easy_setopt", lib.easy_setopt, missing);
  Resolve(handle, "curl_easy_perform", lib.easy_perform, missing);
  Resolve(handle, "curl_easy_getinfo", lib.easy_getinfo, missing);
  Resolve(handle, "curl_easy_strerror", lib.easy_strerror, missing);
  Resolve(handle, "curl_slist_append", lib.slist_append, missing);
  Resolve(handle, "curl_slist_free_all", lib.slist_free_all, missing);
  if (!missing.empty()) return "libcurl.so.4 lacks " + missing;
  // Global init once, before any handle (curl_easy_init would do it, but
  // not thread-safely on older releases).
  auto global_init =
      reinterpret_cast<decltype(&curl_global_init)>(dlsym(handle, "curl_global_init"));
  if (global_init != nullptr) global_init(CURL_GLOBAL_DEFAULT);
  return "";
}

}  // namespace

const CurlLibrary& CurlLibrary::Get() {
  static CurlLibrary library;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] { error = Load(library); });
  if (!error.empty()) throw DockerError(0, "Cannot connect to the Docker daemon: " + error);
  return library;
}

}  // namespace berth::docker
