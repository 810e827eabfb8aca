/*
 * Baseline for the card-read benchmark: the thinnest possible PC/SC client. For each iteration it
 * connects to the reader, sends the given command APDUs in order, and disconnects, exactly the
 * sequence the agent sends, and prints one line per iteration with the elapsed microseconds.
 *
 *   pcsc-read READER ITERATIONS APDU_HEX [APDU_HEX ...]
 */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s READER ITERATIONS APDU_HEX...\n", argv[0]);
    return 2;
  }
  const char *reader = argv[1];
  int iterations = atoi(argv[2]);
  int count = argc - 3;
  unsigned char apdus[64][300];
  int lengths[64];
  if (count > 64) return 2;
  for (int i = 0; i < count; i++) {
    lengths[i] = parse_hex(argv[3 + i], apdus[i], sizeof apdus[i]);
    if (lengths[i] < 4) {
      fprintf(stderr, "bad APDU %s\n", argv[3 + i]);
      return 2;
    }
  }
  SCARDCONTEXT ctx;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
  if (rv != SCARD_S_SUCCESS) {
    fprintf(stderr, "SCardEstablishContext: %s\n", pcsc_stringify_error(rv));
    return 1;
  }
  for (int it = 0; it < iterations; it++) {
    double start = now_us();
    SCARDHANDLE card;
    DWORD protocol;
    rv = SCardConnect(ctx, reader, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
    if (rv != SCARD_S_SUCCESS) {
      fprintf(stderr, "SCardConnect: %s\n", pcsc_stringify_error(rv));
      return 1;
    }
    const SCARD_IO_REQUEST *pci = protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    for (int i = 0; i < count; i++) {
      unsigned char response[258 + 2];
      DWORD rlen = sizeof response;
      rv = SCardTransmit(card, pci, apdus[i], (DWORD)lengths[i], NULL, response, &rlen);
      if (rv != SCARD_S_SUCCESS || rlen < 2) {
        fprintf(stderr, "SCardTransmit: %s\n", pcsc_stringify_error(rv));
        return 1;
      }
    }
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    printf("%.1f\n", now_us() - start);
  }
  SCardReleaseContext(ctx);
  return 0;
}
