/*
 * Baseline for the card-read benchmark: the thinnest possible PC/SC client. It makes the PC/SC
 * calls traced from the agent, in the agent's order, and prints one line per timed read with the
 * elapsed microseconds.
 *
 *   pcsc-read READER0 READER1 ITERATIONS FIRST_CALL... -- STEADY_CALL...
 *
 * A call is `cN` (SCardConnect reader N, exclusive, T=0|T=1), `tN:HEX` (SCardTransmit the APDU to
 * reader N) or `dN:leave|reset|unpower` (SCardDisconnect with that disposition). The calls before
 * `--` are the agent's first read (what it sets up once, e.g. a PSAM it keeps connected) and run
 * once, untimed; the calls after it are one steady read, run ITERATIONS times. A reader the agent
 * keeps connected between reads stays connected here too.
 */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CALLS 128

struct call {
  char op;
  int reader;
  DWORD disposition;
  unsigned char apdu[300];
  int length;
};

static int parse_hex(const char *hex, unsigned char *out, size_t max) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > max) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned int b;
    if (sscanf(hex + 2 * i, "%2x", &b) != 1) return -1;
    out[i] = (unsigned char)b;
  }
  return (int)(n / 2);
}

static int parse_call(const char *text, struct call *c) {
  if (strlen(text) < 2 || (text[1] != '0' && text[1] != '1')) return -1;
  c->op = text[0];
  c->reader = text[1] - '0';
  if (c->op == 'c') return text[2] == '\0' ? 0 : -1;
  if (text[2] != ':') return -1;
  if (c->op == 't') {
    c->length = parse_hex(text + 3, c->apdu, sizeof c->apdu);
    return c->length < 4 ? -1 : 0;
  }
  if (c->op == 'd') {
    if (strcmp(text + 3, "leave") == 0) c->disposition = SCARD_LEAVE_CARD;
    else if (strcmp(text + 3, "unpower") == 0) c->disposition = SCARD_UNPOWER_CARD;
    else if (strcmp(text + 3, "reset") == 0) c->disposition = SCARD_RESET_CARD;
    else return -1;
    return 0;
  }
  return -1;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static SCARDCONTEXT ctx;
static const char *names[2];
static SCARDHANDLE handles[2];
static const SCARD_IO_REQUEST *pcis[2];

static int run(const struct call *calls, int count) {
  for (int i = 0; i < count; i++) {
    const struct call *c = &calls[i];
    LONG rv;
    if (c->op == 'c') {
      DWORD protocol;
      rv = SCardConnect(ctx, names[c->reader], SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                        &handles[c->reader], &protocol);
      pcis[c->reader] = protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    } else if (c->op == 't') {
      unsigned char response[258 + 2];
      DWORD rlen = sizeof response;
      rv = SCardTransmit(handles[c->reader], pcis[c->reader], c->apdu, (DWORD)c->length, NULL, response, &rlen);
      if (rv == SCARD_S_SUCCESS && rlen < 2) rv = SCARD_F_UNKNOWN_ERROR;
    } else {
      rv = SCardDisconnect(handles[c->reader], c->disposition);
      if (rv == SCARD_S_SUCCESS) handles[c->reader] = 0;
    }
    if (rv != SCARD_S_SUCCESS) {
      fprintf(stderr, "call %d (%c%d): %s\n", i + 1, c->op, c->reader, pcsc_stringify_error(rv));
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s READER0 READER1 ITERATIONS FIRST_CALL... -- STEADY_CALL...\n", argv[0]);
    return 2;
  }
  names[0] = argv[1];
  names[1] = argv[2];
  int iterations = atoi(argv[3]);
  static struct call first[MAX_CALLS], steady[MAX_CALLS];
  int nfirst = 0, nsteady = 0, after = 0;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      after = 1;
      continue;
    }
    struct call *c = after ? &steady[nsteady++] : &first[nfirst++];
    if (nfirst > MAX_CALLS || nsteady > MAX_CALLS || parse_call(argv[i], c) != 0) {
      fprintf(stderr, "bad call %s\n", argv[i]);
      return 2;
    }
  }
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
  if (rv != SCARD_S_SUCCESS) {
    fprintf(stderr, "SCardEstablishContext: %s\n", pcsc_stringify_error(rv));
    return 1;
  }
  if (run(first, nfirst) != 0) return 1;
  for (int it = 0; it < iterations; it++) {
    double start = now_us();
    if (run(steady, nsteady) != 0) return 1;
    printf("%.1f\n", now_us() - start);
  }
  for (int r = 0; r < 2; r++)
    if (handles[r]) SCardDisconnect(handles[r], SCARD_UNPOWER_CARD);
  SCardReleaseContext(ctx);
  return 0;
}
