// pause: PID 1 of a task's network namespace (reference
// docker-engine-api.md §2.4 and §6). It holds the namespace open until it is
// told to stop, and, started as `/pause relay <ipv4> <port>`, it also gives
// the task its own 169.254.170.2, the address where ECS puts the task
// metadata and credentials endpoints:
//
//   1. adds 169.254.170.2/32 to the namespace's loopback (netlink; the
//      container has CAP_NET_ADMIN for this, the task's other containers do
//      not), so the address is local to this namespace and nothing sent to
//      it can ever leave it;
//   2. adds an nftables rule in the namespace (nat, output hook) that sends
//      the namespace's own connections to 169.254.170.2:80 to port 51679 of
//      the same address, so the task's containers keep port 80 for
//      themselves, as on ECS;
//   3. listens on 169.254.170.2:51679 — bind() succeeds only for a local
//      address, so a listening socket proves step 1 took effect;
//   4. prints "berth-pause: ready" (Berth starts the task's containers only
//      after it has read that line), then relays every connection, byte for
//      byte, to Berth at <ipv4>:<port> (the Docker network's gateway): one
//      process, one epoll loop, up to 256 connections at once (see "The
//      relay" below). Berth answers for the task the connection comes from
//      (by its address). If Berth cannot be reached the connection is
//      closed: there is no fallback to any other address.
//   A failure in steps 1 or 3 ends the program with exit code 3 and a message
//   on stderr, so a task never runs without its own address. A failure in
//   step 2 prints "berth-pause: no-endpoints: <why>" and leaves a plain
//   pause (the address stays local, so nothing sent there leaves the
//   namespace); Berth then records that the endpoints are not offered.
//
// Started as `/pause local` (Berth cannot serve the endpoints to this task),
// it does steps 1 and 3 alone: 169.254.170.2 is made local and proven so by a
// bind(), nothing listens there, so a connection to it is refused inside the
// namespace and nothing sent there leaves it; it prints "berth-pause:
// no-endpoints: not relayed" and pauses. A failure ends it with exit code 3,
// as above.
//
// The kernel drops every signal except SIGKILL that is sent to a namespace's
// PID 1 without a handler, so a plain `pause()` would ignore `docker stop`
// and be SIGKILLed after the whole timeout (exit 137). Instead SIGTERM and
// SIGINT are blocked (a blocked signal is queued, never dropped) and taken
// synchronously (rt_sigtimedwait, or a signalfd beside the listening socket);
// either one ends the process with exit_group(0), so `docker stop` returns at
// once with exit code 0. The program never forks, so there is nothing to
// reap; writes to sockets pass MSG_NOSIGNAL, so a peer that went away is an
// error for that connection and never a SIGPIPE.
//
// Built static and libc-free (gcc -static -nostdlib -Os; see
// docker_backend/CMakeLists.txt): raw system calls for x86_64 and aarch64,
// entry point _start, no heap or TLS use (the relay's buffers are static).

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "pause.c supports x86_64 and aarch64 only"
#endif

typedef unsigned long word;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#if defined(__x86_64__)
enum {
  kSysRead = 0,
  kSysWrite = 1,
  kSysClose = 3,
  kSysRtSigprocmask = 14,
  kSysSocket = 41,
  kSysConnect = 42,
  kSysSendto = 44,
  kSysShutdown = 48,
  kSysBind = 49,
  kSysListen = 50,
  kSysSetsockopt = 54,
  kSysGetsockopt = 55,
  kSysRtSigtimedwait = 128,
  kSysExitGroup = 231,
  kSysEpollCtl = 233,
  kSysEpollPwait = 281,
  kSysAccept4 = 288,
  kSysSignalfd4 = 289,
  kSysEpollCreate1 = 291,
};

static long Syscall5(long number, word a, word b, word c, word d, word e) {
  long ret;
  register word r10 __asm__("r10") = d;
  register word r8 __asm__("r8") = e;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  return ret;
}

// The kernel enters here with argc at the stack pointer; Main gets that
// address (with the stack aligned as the ABI wants for a call).
__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  xor %rbp, %rbp\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call Main\n"
    "  hlt\n");
#elif defined(__aarch64__)
enum {
  kSysEpollCreate1 = 20,
  kSysEpollCtl = 21,
  kSysEpollPwait = 22,
  kSysClose = 57,
  kSysRead = 63,
  kSysWrite = 64,
  kSysSignalfd4 = 74,
  kSysExitGroup = 94,
  kSysRtSigprocmask = 135,
  kSysRtSigtimedwait = 137,
  kSysSocket = 198,
  kSysBind = 200,
  kSysListen = 201,
  kSysConnect = 203,
  kSysSendto = 206,
  kSysSetsockopt = 208,
  kSysGetsockopt = 209,
  kSysShutdown = 210,
  kSysAccept4 = 242,
};

static long Syscall5(long number, word a, word b, word c, word d, word e) {
  register word x8 __asm__("x8") = (word)number;
  register word x0 __asm__("x0") = a;
  register word x1 __asm__("x1") = b;
  register word x2 __asm__("x2") = c;
  register word x3 __asm__("x3") = d;
  register word x4 __asm__("x4") = e;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
                   : "memory");
  return (long)x0;
}

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  mov x29, #0\n"
    "  mov x30, #0\n"
    "  mov x0, sp\n"
    "  bl Main\n");
#endif

static long Sys(long number, word a, word b, word c) { return Syscall5(number, a, b, c, 0, 0); }

enum {
  kSigInt = 2,
  kSigTerm = 15,
  kSigBlock = 0,
  kSigsetBytes = 8,     // the kernel's sigset_t: 64 bits
  kAfInet = 2,
  kAfNetlink = 16,
  kSockStream = 1,
  kSockRaw = 3,
  kSockCloexec = 02000000,
  kNetlinkRoute = 0,
  kNetlinkNetfilter = 12,
  kSoRcvtimeo = 20,
  kSolSocket = 1,
  kSoReuseaddr = 2,
  kShutWrite = 1,
  kExitSetupFailed = 3,
  kRelayBuffer = 8192,  // per direction of each connection
  // Where the relay listens; the namespace's connections to port 80 are
  // sent here (the ECS agent's own port for the endpoints).
  kRelayPort = 51679,
};

__attribute__((noreturn)) static void ExitGroup(int code) {
  for (;;) Sys(kSysExitGroup, (word)code, 0, 0);
}

static word Length(const char* s) {
  word n = 0;
  while (s[n] != 0) ++n;
  return n;
}

static void Print(int fd, const char* text) { Sys(kSysWrite, (word)fd, (word)text, Length(text)); }

__attribute__((noreturn)) static void Fail(const char* what) {
  Print(2, "berth-pause: ");
  Print(2, what);
  Print(2, "\n");
  ExitGroup(kExitSetupFailed);
}

static int Equal(const char* a, const char* b) {
  while (*a != 0 && *a == *b) ++a, ++b;
  return *a == *b;
}

// "a.b.c.d" → the address in network byte order; 0 when malformed.
static u32 ParseIpv4(const char* text) {
  u32 parts[4] = {0, 0, 0, 0};
  int part = 0;
  int digits = 0;
  for (; *text != 0; ++text) {
    if (*text == '.') {
      if (digits == 0 || ++part > 3) return 0;
      digits = 0;
    } else if (*text >= '0' && *text <= '9' && digits < 3) {
      parts[part] = parts[part] * 10 + (u32)(*text - '0');
      if (parts[part] > 255) return 0;
      ++digits;
    } else {
      return 0;
    }
  }
  if (part != 3 || digits == 0) return 0;
  const u8 bytes[4] = {(u8)parts[0], (u8)parts[1], (u8)parts[2], (u8)parts[3]};
  u32 out;
  __builtin_memcpy(&out, bytes, 4);
  return out;
}

static u16 ParsePort(const char* text) {
  u32 value = 0;
  for (; *text != 0; ++text) {
    if (*text < '0' || *text > '9') return 0;
    value = value * 10 + (u32)(*text - '0');
    if (value > 65535) return 0;
  }
  return (u16)((value >> 8) | ((value & 0xff) << 8));  // network byte order
}

struct SockaddrIn {
  u16 family;
  u16 port;  // network byte order
  u32 addr;  // network byte order
  u8 zero[8];
};

// Adds `address`/32 to the loopback interface (index 1 in every network
// namespace) with scope host, as `ip addr add <address>/32 dev lo` does. An
// address already there (a restarted relay) is fine.
static void AddLoopbackAddress(u32 address) {
  struct {
    u32 len;  // nlmsghdr
    u16 type;
    u16 flags;
    u32 seq;
    u32 pid;
    u8 family;  // ifaddrmsg
    u8 prefixlen;
    u8 ifa_flags;
    u8 scope;
    u32 index;
    u16 local_len;  // rtattr IFA_LOCAL
    u16 local_type;
    u32 local;
    u16 address_len;  // rtattr IFA_ADDRESS
    u16 address_type;
    u32 address;
  } request = {sizeof(request), 20 /* RTM_NEWADDR */,
               1 | 4 | 0x400 | 0x200 /* REQUEST|ACK|CREATE|EXCL */,
               1, 0, kAfInet, 32, 0, 254 /* RT_SCOPE_HOST */, 1,
               8, 2 /* IFA_LOCAL */, address, 8, 1 /* IFA_ADDRESS */, address};
  const long fd = Sys(kSysSocket, kAfNetlink, kSockRaw | kSockCloexec, kNetlinkRoute);
  if (fd < 0) Fail("cannot open a netlink socket");
  if (Sys(kSysWrite, (word)fd, (word)&request, sizeof(request)) != (long)sizeof(request)) {
    Fail("cannot send the netlink request");
  }
  // The acknowledgement: nlmsghdr (16 bytes) then nlmsgerr's error (int).
  word reply[64];
  const long got = Sys(kSysRead, (word)fd, (word)reply, sizeof(reply));
  if (got < 20) Fail("no netlink acknowledgement");
  int error;
  __builtin_memcpy(&error, (const char*)reply + 16, sizeof(error));
  Sys(kSysClose, (word)fd, 0, 0);
  if (error != 0 && error != -17 /* EEXIST */) {
    Fail(error == -1 ? "adding 169.254.170.2 to lo was refused (no CAP_NET_ADMIN)"
                     : "cannot add 169.254.170.2 to lo");
  }
}


// --- nftables, spoken over netlink ------------------------------------------
// One batch (table "berth", chain "endpoints" of type nat at the output hook,
// one rule) makes the namespace's own connections to 169.254.170.2:80 go to
// the relay's port instead: `ip daddr 169.254.170.2 tcp dport 80 dnat to
// 169.254.170.2:<relay port>`. The task's containers can then listen on port
// 80 themselves, as on ECS, where the agent's endpoint is not in the task's
// namespace. Values follow linux/netfilter/nf_tables.h; every number in an
// nftables attribute is big-endian.

enum {
  kNlmRequest = 1,
  kNlmAck = 4,
  kNlmCreate = 0x400,
  kNlmAppend = 0x800,
  kNlaNested = 0x8000,
  kNfnlBatchBegin = 16,
  kNfnlBatchEnd = 17,
  kNfnlSubsysNftables = 10,
  kNftNewTable = 0,
  kNftNewChain = 3,
  kNftNewRule = 6,
  kNfprotoIpv4 = 2,
  kHookLocalOut = 3,
};

static struct {
  u8 bytes[2048];
  word length;
} batch;

static u32 Be32(u32 v) {
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static void Put(const void* data, word length) {
  if (batch.length + ((length + 3) & ~3UL) > sizeof(batch.bytes)) Fail("nftables batch too large");
  // Byte by byte: a memcpy of unknown length would be a call to a libc
  // function this program does not have.
  for (word i = 0; i < length; ++i) batch.bytes[batch.length + i] = ((const u8*)data)[i];
  for (word i = length; i < ((length + 3) & ~3UL); ++i) batch.bytes[batch.length + i] = 0;
  batch.length += (length + 3) & ~3UL;
}

// Starts a message: nlmsghdr, then nfgenmsg. Returns where it starts.
static word Message(u16 type, u16 flags, u8 family, u32 seq, u16 res_id_be) {
  const word at = batch.length;
  const struct {
    u32 len;
    u16 type;
    u16 flags;
    u32 seq;
    u32 pid;
    u8 family;
    u8 version;
    u16 res_id;
  } header = {0, type, flags, seq, 0, family, 0, res_id_be};
  Put(&header, sizeof(header));
  return at;
}

static void EndMessage(word at) {
  const u32 length = (u32)(batch.length - at);
  __builtin_memcpy(batch.bytes + at, &length, sizeof(length));
}

static word Nest(u16 type) {
  const word at = batch.length;
  const u16 header[2] = {4, (u16)(type | kNlaNested)};
  Put(header, sizeof(header));
  return at;
}

static void EndNest(word at) {
  const u16 length = (u16)(batch.length - at);
  __builtin_memcpy(batch.bytes + at, &length, sizeof(length));
}

static void Attr(u16 type, const void* data, u16 length) {
  const u16 header[2] = {(u16)(4 + length), type};
  Put(header, sizeof(header));  // 4 bytes: the data starts aligned
  Put(data, length);
}

static void AttrU32(u16 type, u32 value) {
  const u32 be = Be32(value);
  Attr(type, &be, 4);
}

static void AttrString(u16 type, const char* text) { Attr(type, text, (u16)(Length(text) + 1)); }

// One expression of a rule: {NFTA_EXPR_NAME, NFTA_EXPR_DATA{...}}; returns
// the data nest to close with EndExpression.
static word Expression(const char* name, word* element) {
  *element = Nest(1);  // NFTA_LIST_ELEM
  AttrString(1, name);  // NFTA_EXPR_NAME
  return Nest(2);       // NFTA_EXPR_DATA
}

static void EndExpression(word data, word element) {
  EndNest(data);
  EndNest(element);
}

static void Compare(const void* value, u16 length) {
  word element;
  const word data = Expression("cmp", &element);
  AttrU32(1, 1);  // NFTA_CMP_SREG: NFT_REG_1
  AttrU32(2, 0);  // NFTA_CMP_OP: NFT_CMP_EQ
  const word nest = Nest(3);  // NFTA_CMP_DATA
  Attr(1, value, length);     // NFTA_DATA_VALUE
  EndNest(nest);
  EndExpression(data, element);
}

static void Payload(u32 base, u32 offset, u32 length) {
  word element;
  const word data = Expression("payload", &element);
  AttrU32(1, 1);  // NFTA_PAYLOAD_DREG: NFT_REG_1
  AttrU32(2, base);
  AttrU32(3, offset);
  AttrU32(4, length);
  EndExpression(data, element);
}

static void Immediate(u32 reg, const void* value, u16 length) {
  word element;
  const word data = Expression("immediate", &element);
  AttrU32(1, reg);            // NFTA_IMMEDIATE_DREG
  const word nest = Nest(2);  // NFTA_IMMEDIATE_DATA
  Attr(1, value, length);     // NFTA_DATA_VALUE
  EndNest(nest);
  EndExpression(data, element);
}

// Returns 0, or why the rule could not be made.
static const char* AddEndpointDnat(u32 address, u16 relay_port_be) {
  const long fd = Sys(kSysSocket, kAfNetlink, kSockRaw | kSockCloexec, kNetlinkNetfilter);
  if (fd < 0) return "no nfnetlink socket";
  const word timeout[2] = {2, 0};  // struct timeval: never wait on the kernel for long
  Syscall5(kSysSetsockopt, (word)fd, kSolSocket, kSoRcvtimeo, (word)timeout, sizeof(timeout));
  const u16 subsystem_be = (u16)(kNfnlSubsysNftables << 8);  // htons(10)
  const u16 nft = (u16)(kNfnlSubsysNftables << 8);
  batch.length = 0;
  EndMessage(Message(kNfnlBatchBegin, kNlmRequest, 0, 1, subsystem_be));

  word m = Message((u16)(nft | kNftNewTable), kNlmRequest | kNlmAck | kNlmCreate, kNfprotoIpv4, 2, 0);
  AttrString(1, "berth");  // NFTA_TABLE_NAME
  EndMessage(m);

  m = Message((u16)(nft | kNftNewChain), kNlmRequest | kNlmAck | kNlmCreate, kNfprotoIpv4, 3, 0);
  AttrString(1, "berth");      // NFTA_CHAIN_TABLE
  AttrString(3, "endpoints");  // NFTA_CHAIN_NAME
  const word hook = Nest(4);   // NFTA_CHAIN_HOOK
  AttrU32(1, kHookLocalOut);   // NFTA_HOOK_HOOKNUM
  AttrU32(2, (u32)-100);       // NFTA_HOOK_PRIORITY: NF_IP_PRI_NAT_DST
  EndNest(hook);
  AttrString(7, "nat");  // NFTA_CHAIN_TYPE
  EndMessage(m);

  m = Message((u16)(nft | kNftNewRule), kNlmRequest | kNlmAck | kNlmCreate | kNlmAppend,
              kNfprotoIpv4, 4, 0);
  AttrString(1, "berth");          // NFTA_RULE_TABLE
  AttrString(2, "endpoints");      // NFTA_RULE_CHAIN
  const word expressions = Nest(4);  // NFTA_RULE_EXPRESSIONS
  Payload(1, 16, 4);               // ip daddr (network header, offset 16)
  Compare(&address, 4);
  {
    word element;
    const word data = Expression("meta", &element);
    AttrU32(1, 1);   // NFTA_META_DREG: NFT_REG_1
    AttrU32(2, 16);  // NFTA_META_KEY: NFT_META_L4PROTO
    EndExpression(data, element);
  }
  const u8 tcp = 6;
  Compare(&tcp, 1);
  Payload(2, 2, 2);  // tcp dport (transport header, offset 2)
  const u16 port_80_be = 0x5000;
  Compare(&port_80_be, 2);
  Immediate(1, &address, 4);         // NFT_REG_1: the address
  Immediate(2, &relay_port_be, 2);   // NFT_REG_2: the relay's port
  {
    word element;
    const word data = Expression("nat", &element);
    AttrU32(1, 1);             // NFTA_NAT_TYPE: NFT_NAT_DNAT
    AttrU32(2, kNfprotoIpv4);  // NFTA_NAT_FAMILY
    AttrU32(3, 1);             // NFTA_NAT_REG_ADDR_MIN: NFT_REG_1
    AttrU32(5, 2);             // NFTA_NAT_REG_PROTO_MIN: NFT_REG_2
    EndExpression(data, element);
  }
  EndNest(expressions);
  EndMessage(m);

  EndMessage(Message(kNfnlBatchEnd, kNlmRequest, 0, 5, subsystem_be));
  if (Sys(kSysWrite, (word)fd, (word)batch.bytes, batch.length) != (long)batch.length) {
    Sys(kSysClose, (word)fd, 0, 0);
    return "cannot send the nftables batch";
  }
  // One acknowledgement per message that asked for it (seq 2, 3, 4).
  int acked = 0;
  while (acked < 3) {
    word reply[256];
    const long got = Sys(kSysRead, (word)fd, (word)reply, sizeof(reply));
    if (got < 20) {
      Sys(kSysClose, (word)fd, 0, 0);
      return "no answer from nftables";
    }
    for (long at = 0; at + 20 <= got;) {
      u32 length;
      u16 type;
      int error;
      __builtin_memcpy(&length, (const u8*)reply + at, 4);
      __builtin_memcpy(&type, (const u8*)reply + at + 4, 2);
      if (length < 16) break;
      if (type == 2 /* NLMSG_ERROR */) {
        __builtin_memcpy(&error, (const u8*)reply + at + 16, 4);
        if (error != 0) {
          Sys(kSysClose, (word)fd, 0, 0);
          return error == -1 ? "nftables refused (no CAP_NET_ADMIN)" : "nftables refused the rule";
        }
        ++acked;
      }
      at += (long)((length + 3) & ~3U);
    }
  }
  Sys(kSysClose, (word)fd, 0, 0);
  return 0;
}

// --- The relay ----------------------------------------------------------------
// One process, one epoll set, every socket non-blocking. An accepted
// connection takes a slot in `slots`; its other side is a non-blocking
// connect() to Berth. Each direction has a fixed buffer: bytes read from one
// socket wait there until the other takes them, and a side is not read while
// its buffer is full (backpressure) nor written while the buffer is empty.
// When one side says EOF and its buffer has drained, the other side gets
// shutdown(SHUT_WR) (half-close), and the slot is freed once both directions
// have ended that way. A connection that fails (reset, refused, any error)
// is closed alone: nothing else is touched. With every slot taken the
// listener is left out of the epoll set, so new connections wait in its
// backlog until a slot frees. Interest is level-triggered and recomputed
// after each event; an fd that wants nothing is removed from the set (so a
// hung-up socket cannot make epoll spin).

enum {
  kMaxConnections = 256,
  kEpollIn = 0x001,
  kEpollOut = 0x004,
  kEpollErr = 0x008,
  kEpollHup = 0x010,
  kEpollCtlAdd = 1,
  kEpollCtlDel = 2,
  kEpollCtlMod = 3,
  kEpollBatch = 64,
  kErrAgain = 11,
  kErrInProgress = 115,
  kSockNonblock = 04000,
  kMsgNoSignal = 0x4000,  // a write to a closed peer fails with EPIPE instead of raising SIGPIPE
  kIpprotoTcp = 6,
  kTcpNodelay = 1,
  kSoError = 4,
  // epoll keys besides a connection's (slot * 2 + side).
  kListenerKey = 2 * kMaxConnections,
  kSignalKey = kListenerKey + 1,
};

struct EpollEvent {
  u32 events;
  unsigned long long key;
}
#if defined(__x86_64__)
__attribute__((packed))  // x86_64's struct epoll_event is packed; aarch64's is not
#endif
;

// Bytes read from one side of a connection, waiting to be written to the
// other: data[start, end) is pending.
struct Pipe {
  u32 start;
  u32 end;
  u8 ended;  // its source said EOF: nothing more will be read
  u8 shut;   // ...and all was written, then the sink got shutdown(SHUT_WR)
  char data[kRelayBuffer];
};

// One relayed connection: side 0 is the task's client, side 1 is Berth.
// pipe[i] carries what fd[i] sent to fd[1 - i].
struct Connection {
  int used;  // 0: the slot is free (BSS starts zeroed: all are)
  int fd[2];
  u32 watching[2];  // the epoll events each fd is in the set for (0: not in it)
  int connecting;   // fd[1]'s connect() has not completed yet
  struct Pipe pipe[2];
};

// Only the pages of slots in use are ever touched, so the resident size
// follows the connections actually open (16 KiB each), not the cap.
static struct Connection slots[kMaxConnections];

static void SetWatch(int epoll, int fd, u32 events, unsigned long long key, u32* watching) {
  if (events == *watching) return;
  struct EpollEvent event = {events, key};
  const long op = events == 0 ? kEpollCtlDel : *watching == 0 ? kEpollCtlAdd : kEpollCtlMod;
  Syscall5(kSysEpollCtl, (word)epoll, (word)op, (word)fd, (word)&event, 0);
  *watching = events;
}

// Puts side `side` of slot `slot` in the epoll set for what it can do now.
static void Watch(int epoll, int slot, int side) {
  struct Connection* c = &slots[slot];
  const struct Pipe* from = &c->pipe[side];    // read from this side
  const struct Pipe* to = &c->pipe[1 - side];  // written to this side
  u32 events = 0;
  if (!from->ended && from->end < kRelayBuffer) events |= kEpollIn;
  if (to->start < to->end || (side == 1 && c->connecting)) events |= kEpollOut;
  SetWatch(epoll, c->fd[side], events, (unsigned long long)(slot * 2 + side), &c->watching[side]);
}

// Reads what side `side` sent into its pipe. Returns 0, or -1 when the
// connection failed.
static int Fill(struct Connection* c, int side) {
  struct Pipe* p = &c->pipe[side];
  if (p->ended || p->end == kRelayBuffer) return 0;
  const long got =
      Sys(kSysRead, (word)c->fd[side], (word)(p->data + p->end), kRelayBuffer - p->end);
  if (got > 0) p->end += (u32)got;
  if (got == 0) p->ended = 1;
  return got >= 0 || got == -kErrAgain ? 0 : -1;
}

// Writes what side `side` sent to the other side, then passes an EOF on
// once all is written. Returns 0, or -1 when the connection failed.
static int Flush(struct Connection* c, int side) {
  struct Pipe* p = &c->pipe[side];
  const int to = c->fd[1 - side];
  if (side == 0 && c->connecting) return 0;
  if (p->start < p->end) {
    const long sent = Syscall5(kSysSendto, (word)to, (word)(p->data + p->start), p->end - p->start,
                               kMsgNoSignal, 0);
    if (sent < 0) return sent == -kErrAgain ? 0 : -1;
    p->start += (u32)sent;
    if (p->start < p->end) return 0;
    p->start = p->end = 0;
  }
  if (p->ended && !p->shut) {
    Sys(kSysShutdown, (word)to, kShutWrite, 0);
    p->shut = 1;
  }
  return 0;
}

// The relay's whole state besides the slots.
struct Relay {
  int epoll;
  int listener;
  u32 listener_watching;
  int open;  // slots in use
  struct SockaddrIn berth;
};

static void CloseConnection(struct Relay* r, int slot) {
  struct Connection* c = &slots[slot];
  Sys(kSysClose, (word)c->fd[0], 0, 0);  // closing also leaves the epoll set
  Sys(kSysClose, (word)c->fd[1], 0, 0);
  c->used = 0;
  --r->open;
  SetWatch(r->epoll, r->listener, kEpollIn, kListenerKey, &r->listener_watching);
}

// Something happened on side `side` of slot `slot`: move what can move.
static void Handle(struct Relay* r, int slot, int side, u32 events) {
  struct Connection* c = &slots[slot];
  if (!c->used) return;  // closed earlier in the same batch of events
  if (events & kEpollErr) {
    CloseConnection(r, slot);  // reset, or Berth refused the connection
    return;
  }
  if (side == 1 && c->connecting) {
    int error = 0;
    u32 size = sizeof(error);
    Syscall5(kSysGetsockopt, (word)c->fd[1], kSolSocket, kSoError, (word)&error, (word)&size);
    if (error != 0) {
      CloseConnection(r, slot);  // closing the client is the whole answer
      return;
    }
    c->connecting = 0;
  }
  // A hang-up is read (to its EOF) and written (to its error) like the rest.
  if (events & kEpollHup) events |= kEpollIn | kEpollOut;
  if ((events & kEpollIn) && (Fill(c, side) != 0 || Flush(c, side) != 0)) {
    CloseConnection(r, slot);
    return;
  }
  if ((events & kEpollOut) && Flush(c, 1 - side) != 0) {
    CloseConnection(r, slot);
    return;
  }
  if (c->pipe[0].shut && c->pipe[1].shut) {
    CloseConnection(r, slot);
    return;
  }
  Watch(r->epoll, slot, 0);
  Watch(r->epoll, slot, 1);
}

// Takes the pending connections while there are free slots, each with its
// own non-blocking connect() to Berth.
static void Accept(struct Relay* r) {
  int slot = 0;
  while (r->open < kMaxConnections) {
    const long client =
        Syscall5(kSysAccept4, (word)r->listener, 0, 0, kSockNonblock | kSockCloexec, 0);
    if (client < 0) return;  // none left (or one that vanished: the next event says)
    const long upstream = Sys(kSysSocket, kAfInet, kSockStream | kSockNonblock | kSockCloexec, 0);
    const long connected =
        upstream < 0 ? -1 : Sys(kSysConnect, (word)upstream, (word)&r->berth, sizeof(r->berth));
    if (connected != 0 && connected != -kErrInProgress) {
      if (upstream >= 0) Sys(kSysClose, (word)upstream, 0, 0);
      Sys(kSysClose, (word)client, 0, 0);  // Berth cannot be reached: just close
      continue;
    }
    const int one = 1;
    Syscall5(kSysSetsockopt, (word)client, kIpprotoTcp, kTcpNodelay, (word)&one, sizeof(one));
    Syscall5(kSysSetsockopt, (word)upstream, kIpprotoTcp, kTcpNodelay, (word)&one, sizeof(one));
    while (slots[slot].used) ++slot;  // a free one exists: open < kMaxConnections
    struct Connection* c = &slots[slot];
    c->used = 1;
    c->fd[0] = (int)client;
    c->fd[1] = (int)upstream;
    c->watching[0] = c->watching[1] = 0;
    c->connecting = connected != 0;
    for (int i = 0; i < 2; ++i) {
      c->pipe[i].start = c->pipe[i].end = 0;
      c->pipe[i].ended = c->pipe[i].shut = 0;
    }
    ++r->open;
    Watch(r->epoll, slot, 0);
    Watch(r->epoll, slot, 1);
  }
  SetWatch(r->epoll, r->listener, 0, kListenerKey, &r->listener_watching);  // full: wait
}

// Gives the namespace its endpoint address and relays it to Berth; never
// returns once it relays (SIGTERM or SIGINT end the process). Returns (after
// printing why) when the endpoints cannot be offered although the address is
// local: the caller then just holds the namespace.
static void RunRelay(u32 berth, u16 berth_port, word signals) {
  static const char kLinkLocal[] = "169.254.170.2";
  const u32 local = ParseIpv4(kLinkLocal);
  const u16 relay_port = (u16)((kRelayPort >> 8) | ((kRelayPort & 0xff) << 8));
  AddLoopbackAddress(local);
  const char* why = AddEndpointDnat(local, relay_port);
  if (why != 0) {
    Print(1, "berth-pause: no-endpoints: ");
    Print(1, why);
    Print(1, "\n");
    return;
  }

  const long listener = Sys(kSysSocket, kAfInet, kSockStream | kSockNonblock | kSockCloexec, 0);
  if (listener < 0) Fail("cannot open a socket");
  const int one = 1;
  Syscall5(kSysSetsockopt, (word)listener, kSolSocket, kSoReuseaddr, (word)&one, sizeof(one));
  const struct SockaddrIn at = {kAfInet, relay_port, local, {0}};
  if (Sys(kSysBind, (word)listener, (word)&at, sizeof(at)) != 0) {
    Fail("cannot listen on 169.254.170.2 (the address is not local)");
  }
  if (Sys(kSysListen, (word)listener, 512, 0) != 0) Fail("cannot listen on 169.254.170.2");
  const long signal_fd = Syscall5(kSysSignalfd4, (word)-1, (word)&signals, kSigsetBytes,
                                  kSockCloexec /* SFD_CLOEXEC == O_CLOEXEC */, 0);
  if (signal_fd < 0) Fail("cannot open a signalfd");
  const long epoll = Sys(kSysEpollCreate1, kSockCloexec /* EPOLL_CLOEXEC */, 0, 0);
  if (epoll < 0) Fail("cannot open an epoll set");
  struct Relay relay = {(int)epoll, (int)listener, 0, 0, {kAfInet, berth_port, berth, {0}}};
  u32 signal_watching = 0;
  SetWatch(relay.epoll, (int)signal_fd, kEpollIn, kSignalKey, &signal_watching);
  SetWatch(relay.epoll, relay.listener, kEpollIn, kListenerKey, &relay.listener_watching);
  Print(1, "berth-pause: ready\n");

  for (;;) {
    struct EpollEvent events[kEpollBatch];
    const long count =
        Syscall5(kSysEpollPwait, (word)epoll, (word)events, kEpollBatch, (word)-1, 0);
    int accept = 0;
    for (long i = 0; i < count; ++i) {
      const unsigned long long key = events[i].key;
      if (key == kSignalKey) ExitGroup(0);
      if (key == kListenerKey) {
        accept = 1;
      } else {
        Handle(&relay, (int)(key / 2), (int)(key % 2), events[i].events);
      }
    }
    // After the batch, so that no slot freed in it is reused while later
    // events of the batch may still name it.
    if (accept) Accept(&relay);
  }
}

// `/pause local`: the namespace's own 169.254.170.2, proven local, and no
// relay.
static void HoldLinkLocal(void) {
  const u32 local = ParseIpv4("169.254.170.2");
  AddLoopbackAddress(local);
  const long probe = Sys(kSysSocket, kAfInet, kSockStream | kSockCloexec, 0);
  if (probe < 0) Fail("cannot open a socket");
  const struct SockaddrIn at = {kAfInet, 0, local, {0}};
  if (Sys(kSysBind, (word)probe, (word)&at, sizeof(at)) != 0) {
    Fail("cannot bind 169.254.170.2 (the address is not local)");
  }
  Sys(kSysClose, (word)probe, 0, 0);
  Print(1, "berth-pause: no-endpoints: not relayed\n");
}

__attribute__((noreturn, used)) void Main(word* stack) {
  const long argc = (long)stack[0];
  char** argv = (char**)(stack + 1);
  word set = (1UL << (kSigInt - 1)) | (1UL << (kSigTerm - 1));
  Syscall5(kSysRtSigprocmask, kSigBlock, (word)&set, 0, kSigsetBytes, 0);
  if (argc == 4 && Equal(argv[1], "relay")) {
    const u32 berth = ParseIpv4(argv[2]);
    const u16 port = ParsePort(argv[3]);
    if (berth == 0 || port == 0) Fail("usage: pause [relay <berth ipv4> <berth port> | local]");
    RunRelay(berth, port, set);  // returns only when it cannot relay
  } else if (argc == 2 && Equal(argv[1], "local")) {
    HoldLinkLocal();
  }
  for (;;) {
    // No timeout: sleep until one of the blocked signals is pending. Any
    // other result (-EINTR from a stop/continue, say) just waits again.
    const long sig = Syscall5(kSysRtSigtimedwait, (word)&set, 0, 0, kSigsetBytes, 0);
    if (sig == kSigTerm || sig == kSigInt) ExitGroup(0);
  }
}
