/*
 * Baseline for the card-read benchmark: the thinnest possible PC/SC client. For each iteration it
 * connects to the reader, sends the given command APDUs in order, and disconnects, exactly the
 * sequence the agent sends, and prints one line per iteration with the elapsed microseconds.
 *
 *   pcsc-read [-2 READER2] [-d leave|unpower|reset] READER ITERATIONS APDU_HEX [APDU_HEX ...]
 *
 * With -2 a second reader (the terminal's PSAM) is connected right after the first, APDUs written
 * `2:HEX` go to it, and it is disconnected before the first: the order in which the agent holds
 * the PSAM inside a card read. -d picks the disposition at disconnect (default leave); the agent
 * powers cards off (unpower), and a baseline must do the same for the card to see the same traffic.
 */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static LONG connect_reader(SCARDCONTEXT ctx, const char *reader, SCARDHANDLE *card, const SCARD_IO_REQUEST **pci) {
  DWORD protocol;
  LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, card, &protocol);
  if (rv != SCARD_S_SUCCESS) {
    fprintf(stderr, "SCardConnect %s: %s\n", reader, pcsc_stringify_error(rv));
    return rv;
  }
  *pci = protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  return rv;
}

int main(int argc, char **argv) {
  const char *reader2 = NULL;
  DWORD disposition = SCARD_LEAVE_CARD;
  int opt;
  while ((opt = getopt(argc, argv, "+2:d:")) != -1) {
    if (opt == '2') {
      reader2 = optarg;
    } else if (opt == 'd') {
      if (strcmp(optarg, "leave") == 0) disposition = SCARD_LEAVE_CARD;
      else if (strcmp(optarg, "unpower") == 0) disposition = SCARD_UNPOWER_CARD;
      else if (strcmp(optarg, "reset") == 0) disposition = SCARD_RESET_CARD;
      else {
        fprintf(stderr, "-d: leave, unpower or reset\n");
        return 2;
      }
    } else {
      fprintf(stderr, "usage: %s [-2 READER2] [-d leave|unpower|reset] READER ITERATIONS APDU_HEX...\n", argv[0]);
      return 2;
    }
  }
  if (argc - optind < 3) {
    fprintf(stderr, "usage: %s [-2 READER2] [-d leave|unpower|reset] READER ITERATIONS APDU_HEX...\n", argv[0]);
    return 2;
  }
  const char *reader = argv[optind];
  int iterations = atoi(argv[optind + 1]);
  int first = optind + 2;
  int count = argc - first;
  unsigned char apdus[64][300];
  int lengths[64];
  int targets[64];
  if (count > 64) return 2;
  for (int i = 0; i < count; i++) {
    const char *hex = argv[first + i];
    targets[i] = 0;
    if (strncmp(hex, "2:", 2) == 0) {
      if (!reader2) {
        fprintf(stderr, "APDU %s is for reader 2, but no -2 READER2 was given\n", hex);
        return 2;
      }
      targets[i] = 1;
      hex += 2;
    }
    lengths[i] = parse_hex(hex, apdus[i], sizeof apdus[i]);
    if (lengths[i] < 4) {
      fprintf(stderr, "bad APDU %s\n", argv[first + i]);
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
    SCARDHANDLE cards[2];
    const SCARD_IO_REQUEST *pcis[2];
    if (connect_reader(ctx, reader, &cards[0], &pcis[0]) != SCARD_S_SUCCESS) return 1;
    if (reader2 && connect_reader(ctx, reader2, &cards[1], &pcis[1]) != SCARD_S_SUCCESS) return 1;
    for (int i = 0; i < count; i++) {
      unsigned char response[258 + 2];
      DWORD rlen = sizeof response;
      int t = targets[i];
      rv = SCardTransmit(cards[t], pcis[t], apdus[i], (DWORD)lengths[i], NULL, response, &rlen);
      if (rv != SCARD_S_SUCCESS || rlen < 2) {
        fprintf(stderr, "SCardTransmit: %s\n", pcsc_stringify_error(rv));
        return 1;
      }
    }
    if (reader2) SCardDisconnect(cards[1], disposition);
    SCardDisconnect(cards[0], disposition);
    printf("%.1f\n", now_us() - start);
  }
  SCardReleaseContext(ctx);
  return 0;
}
