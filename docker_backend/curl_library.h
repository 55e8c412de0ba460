#pragma once

// libcurl, loaded into the process the first time Berth talks to Docker
// (dlopen of libcurl.so.4) rather than at start: Debian's libcurl pulls in
// some thirty libraries (TLS, Kerberos, LDAP, SSH, ...) that would cost an
// idle Berth, which may never run a task, about 6 MiB of memory and a few
// milliseconds of start-up. The table holds the few entry points the Docker
// client uses.
//
// Thread-safety: Get() may be called from any thread (loaded once).

#include <curl/curl.h>

namespace berth::docker {

struct CurlLibrary {
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_reset) easy_reset = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;

  // The loaded library. Throws DockerError (status 0, as for a daemon that
  // cannot be reached) when libcurl cannot be loaded.
  static const CurlLibrary& Get();
};

}  // namespace berth::docker
