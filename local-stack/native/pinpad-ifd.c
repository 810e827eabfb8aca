/*
 * A PC/SC part 10 PIN pad in front of vpcd, for the private pcscd of tests and `npm start`.
 *
 * vpcd answers every IFDHControl with IFD_ERROR_NOT_SUPPORTED, so behind it the agent's
 * SCardControl path (the feature list, FEATURE_VERIFY_PIN_DIRECT, FEATURE_MODIFY_PIN_DIRECT) never
 * runs. This driver is loaded by pcscd in vpcd's place: it forwards every IFDH call to its own copy
 * of vpcd and answers IFDHControl as a reader with a PIN pad does (the CCID driver's behaviour):
 * it takes the PIN_VERIFY_STRUCTURE or PIN_MODIFY_STRUCTURE, waits for the cardholder's keys,
 * writes the PINs into the APDU and sends it to the card itself. The PIN never reaches pcscd's
 * client.
 *
 * Files next to this driver's copy (found with dladdr, so each copy is its own reader):
 *   <driver>.vpcd  the vpcd copy this reader forwards to (one copy per reader: vpcd keeps its
 *                  state in globals, and one loaded file serves one reader);
 *   <driver>.keys  the keys "pressed" on the pad: one PIN entry per line, `C` for Cancel. Written
 *                  whole (rename) by whoever plays the cardholder; consumed when read.
 */
#define _GNU_SOURCE
#include <ifdhandler.h>
#include <reader.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLASS2_IOCTL_MAGIC 0x330000
#define FEATURE_CODE(tag) SCARD_CTL_CODE((tag) + CLASS2_IOCTL_MAGIC)
#define DEFAULT_TIMEOUT_SECONDS 30
#define MAX_ENTRIES 3
#define MAX_DIGITS 16

typedef RESPONSECODE (*create_by_name_fn)(DWORD, LPSTR);
typedef RESPONSECODE (*create_fn)(DWORD, DWORD);
typedef RESPONSECODE (*close_fn)(DWORD);
typedef RESPONSECODE (*get_caps_fn)(DWORD, DWORD, PDWORD, PUCHAR);
typedef RESPONSECODE (*set_caps_fn)(DWORD, DWORD, DWORD, PUCHAR);
typedef RESPONSECODE (*set_proto_fn)(DWORD, DWORD, UCHAR, UCHAR, UCHAR, UCHAR);
typedef RESPONSECODE (*power_fn)(DWORD, DWORD, PUCHAR, PDWORD);
typedef RESPONSECODE (*transmit_fn)(DWORD, SCARD_IO_HEADER, PUCHAR, DWORD, PUCHAR, PDWORD, PSCARD_IO_HEADER);
typedef RESPONSECODE (*presence_fn)(DWORD);

static struct {
  void *handle;
  create_by_name_fn create_by_name;
  create_fn create;
  close_fn close;
  get_caps_fn get_caps;
  set_caps_fn set_caps;
  set_proto_fn set_proto;
  power_fn power;
  transmit_fn transmit;
  presence_fn presence;
} vpcd;

static char keys_path[4096];

static int load_vpcd(void) {
  if (vpcd.handle) return 1;
  Dl_info self;
  if (!dladdr((void *)load_vpcd, &self) || !self.dli_fname) return 0;
  char path[4096];
  if (snprintf(path, sizeof path, "%s.vpcd", self.dli_fname) >= (int)sizeof path) return 0;
  if (snprintf(keys_path, sizeof keys_path, "%s.keys", self.dli_fname) >= (int)sizeof keys_path) return 0;
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "pinpad-ifd: cannot load %s: %s\n", path, dlerror());
    return 0;
  }
  vpcd.create_by_name = (create_by_name_fn)dlsym(h, "IFDHCreateChannelByName");
  vpcd.create = (create_fn)dlsym(h, "IFDHCreateChannel");
  vpcd.close = (close_fn)dlsym(h, "IFDHCloseChannel");
  vpcd.get_caps = (get_caps_fn)dlsym(h, "IFDHGetCapabilities");
  vpcd.set_caps = (set_caps_fn)dlsym(h, "IFDHSetCapabilities");
  vpcd.set_proto = (set_proto_fn)dlsym(h, "IFDHSetProtocolParameters");
  vpcd.power = (power_fn)dlsym(h, "IFDHPowerICC");
  vpcd.transmit = (transmit_fn)dlsym(h, "IFDHTransmitToICC");
  vpcd.presence = (presence_fn)dlsym(h, "IFDHICCPresence");
  if (!vpcd.create_by_name || !vpcd.create || !vpcd.close || !vpcd.get_caps || !vpcd.set_caps ||
      !vpcd.set_proto || !vpcd.power || !vpcd.transmit || !vpcd.presence) {
    fprintf(stderr, "pinpad-ifd: %s lacks an IFDH entry point\n", path);
    dlclose(h);
    return 0;
  }
  vpcd.handle = h;
  return 1;
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName) {
  return load_vpcd() ? vpcd.create_by_name(Lun, DeviceName) : IFD_COMMUNICATION_ERROR;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel) {
  return load_vpcd() ? vpcd.create(Lun, Channel) : IFD_COMMUNICATION_ERROR;
}

RESPONSECODE IFDHCloseChannel(DWORD Lun) { return vpcd.close(Lun); }

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value) {
  return vpcd.get_caps(Lun, Tag, Length, Value);
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value) {
  return vpcd.set_caps(Lun, Tag, Length, Value);
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1, UCHAR PTS2,
                                       UCHAR PTS3) {
  return vpcd.set_proto(Lun, Protocol, Flags, PTS1, PTS2, PTS3);
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength) {
  return vpcd.power(Lun, Action, Atr, AtrLength);
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer, DWORD TxLength,
                               PUCHAR RxBuffer, PDWORD RxLength, PSCARD_IO_HEADER RecvPci) {
  return vpcd.transmit(Lun, SendPci, TxBuffer, TxLength, RxBuffer, RxLength, RecvPci);
}

RESPONSECODE IFDHICCPresence(DWORD Lun) { return vpcd.presence(Lun); }

/* The part 10 answers of a pad that did not send the command: 6400 timeout, 6401 cancel, 6402 the
 * new PIN and its confirmation differ, 6403 a PIN of the wrong length. */
static RESPONSECODE status_word(unsigned sw, PUCHAR rx, DWORD rx_len, LPDWORD returned) {
  if (rx_len < 2) return IFD_ERROR_INSUFFICIENT_BUFFER;
  rx[0] = (UCHAR)(sw >> 8);
  rx[1] = (UCHAR)sw;
  *returned = 2;
  return IFD_SUCCESS;
}

enum entry_result { ENTRIES_READ, ENTRIES_CANCELLED, ENTRIES_TIMEOUT };

/* Waits up to `seconds` for the keys file, then takes its lines as the PIN entries. */
static enum entry_result take_entries(unsigned seconds, char entries[MAX_ENTRIES][MAX_DIGITS + 2], int *count) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    FILE *f = fopen(keys_path, "r");
    if (f) {
      *count = 0;
      char line[64];
      int cancelled = 0;
      while (*count < MAX_ENTRIES && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strcmp(line, "C") == 0) cancelled = 1;
        snprintf(entries[*count], MAX_DIGITS + 2, "%.*s", MAX_DIGITS + 1, line);
        (*count)++;
      }
      fclose(f);
      unlink(keys_path);
      explicit_bzero(line, sizeof line);
      return cancelled ? ENTRIES_CANCELLED : ENTRIES_READ;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((unsigned)(now.tv_sec - start.tv_sec) >= seconds) return ENTRIES_TIMEOUT;
    usleep(20000);
  }
}

static int digits_only(const char *pin) {
  for (const char *p = pin; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return 1;
}

/*
 * Writes a PIN into the APDU's data as bmFormatString says: system units (bit 7: bytes, else bits;
 * only bytes here, as every reader the project knows), the position in units after `base`, the
 * justification (bit 2: right) inside a block of `block` bytes, and the type (bits 1-0: 01 BCD,
 * 10 ASCII). The block keeps the host's filler where the PIN does not reach.
 */
static int place_pin(UCHAR *data, DWORD data_len, unsigned offset, UCHAR format, unsigned block,
                     const char *pin) {
  unsigned type = format & 0x03;
  unsigned len = (unsigned)strlen(pin);
  if (!(format & 0x80)) return 0;
  if (offset + block > data_len) return 0;
  UCHAR *out = data + offset;
  if (type == 0x01) {
    unsigned nibbles = block * 2;
    if (len > nibbles) return 0;
    unsigned first = (format & 0x04) ? nibbles - len : 0;
    for (unsigned i = 0; i < len; i++) {
      unsigned n = first + i;
      UCHAR d = (UCHAR)(pin[i] - '0');
      out[n / 2] = (n % 2) ? (UCHAR)((out[n / 2] & 0xF0) | d) : (UCHAR)((out[n / 2] & 0x0F) | (d << 4));
    }
    return 1;
  }
  if (type == 0x02) {
    if (len > block) return 0;
    memcpy(out + ((format & 0x04) ? block - len : 0), pin, len);
    return 1;
  }
  return 0;
}

static RESPONSECODE send_to_card(DWORD Lun, UCHAR *apdu, DWORD apdu_len, PUCHAR rx, DWORD rx_len,
                                 LPDWORD returned) {
  SCARD_IO_HEADER send = {1, 8}, recv = {1, 8};
  DWORD got = rx_len;
  RESPONSECODE rc = vpcd.transmit(Lun, send, apdu, apdu_len, rx, &got, &recv);
  explicit_bzero(apdu, apdu_len);
  if (rc != IFD_SUCCESS) return rc;
  *returned = got;
  return IFD_SUCCESS;
}

static RESPONSECODE verify_direct(DWORD Lun, PUCHAR tx, DWORD tx_len, PUCHAR rx, DWORD rx_len,
                                  LPDWORD returned) {
  if (tx_len < sizeof(PIN_VERIFY_STRUCTURE)) return IFD_COMMUNICATION_ERROR;
  PIN_VERIFY_STRUCTURE *s = (PIN_VERIFY_STRUCTURE *)tx;
  DWORD data_len = s->ulDataLength;
  if (data_len < 5 || data_len > 261 || sizeof(PIN_VERIFY_STRUCTURE) + data_len != tx_len)
    return IFD_COMMUNICATION_ERROR;
  unsigned max = s->wPINMaxExtraDigit & 0xFF, min = s->wPINMaxExtraDigit >> 8;
  char entries[MAX_ENTRIES][MAX_DIGITS + 2];
  int count = 0;
  enum entry_result r = take_entries(s->bTimerOut ? s->bTimerOut : DEFAULT_TIMEOUT_SECONDS, entries, &count);
  RESPONSECODE rc;
  if (r == ENTRIES_TIMEOUT || count < 1) {
    rc = status_word(0x6400, rx, rx_len, returned);
  } else if (r == ENTRIES_CANCELLED) {
    rc = status_word(0x6401, rx, rx_len, returned);
  } else if (!digits_only(entries[0]) || strlen(entries[0]) < min || strlen(entries[0]) > max) {
    rc = status_word(0x6403, rx, rx_len, returned);
  } else {
    UCHAR apdu[261];
    memcpy(apdu, s->abData, data_len);
    unsigned position = (s->bmFormatString >> 3) & 0x0F;
    if (!place_pin(apdu + 5, data_len - 5, position, s->bmFormatString, s->bmPINBlockString & 0x0F,
                   entries[0])) {
      explicit_bzero(apdu, sizeof apdu);
      rc = IFD_COMMUNICATION_ERROR;
    } else {
      rc = send_to_card(Lun, apdu, data_len, rx, rx_len, returned);
    }
  }
  explicit_bzero(entries, sizeof entries);
  return rc;
}

static RESPONSECODE modify_direct(DWORD Lun, PUCHAR tx, DWORD tx_len, PUCHAR rx, DWORD rx_len,
                                  LPDWORD returned) {
  if (tx_len < sizeof(PIN_MODIFY_STRUCTURE)) return IFD_COMMUNICATION_ERROR;
  PIN_MODIFY_STRUCTURE *s = (PIN_MODIFY_STRUCTURE *)tx;
  DWORD data_len = s->ulDataLength;
  if (data_len < 5 || data_len > 261 || sizeof(PIN_MODIFY_STRUCTURE) + data_len != tx_len)
    return IFD_COMMUNICATION_ERROR;
  unsigned max = s->wPINMaxExtraDigit & 0xFF, min = s->wPINMaxExtraDigit >> 8;
  /* bConfirmPIN bit 1: the current PIN is entered; bit 0: the new one is entered twice. */
  int wants_current = (s->bConfirmPIN & 0x02) != 0, wants_confirmation = (s->bConfirmPIN & 0x01) != 0;
  int needed = 1 + wants_current + wants_confirmation;
  char entries[MAX_ENTRIES][MAX_DIGITS + 2];
  int count = 0;
  enum entry_result r = take_entries(s->bTimerOut ? s->bTimerOut : DEFAULT_TIMEOUT_SECONDS, entries, &count);
  RESPONSECODE rc;
  const char *current = wants_current ? entries[0] : NULL;
  const char *fresh = entries[wants_current ? 1 : 0];
  if (r == ENTRIES_TIMEOUT || count < needed) {
    rc = status_word(0x6400, rx, rx_len, returned);
  } else if (r == ENTRIES_CANCELLED) {
    rc = status_word(0x6401, rx, rx_len, returned);
  } else if (wants_confirmation && strcmp(fresh, entries[needed - 1]) != 0) {
    rc = status_word(0x6402, rx, rx_len, returned);
  } else if ((current && (!digits_only(current) || strlen(current) < min || strlen(current) > max)) ||
             !digits_only(fresh) || strlen(fresh) < min || strlen(fresh) > max) {
    rc = status_word(0x6403, rx, rx_len, returned);
  } else {
    UCHAR apdu[261];
    memcpy(apdu, s->abData, data_len);
    unsigned position = (s->bmFormatString >> 3) & 0x0F;
    unsigned block = s->bmPINBlockString & 0x0F;
    int placed = place_pin(apdu + 5, data_len - 5, position + s->bInsertionOffsetNew, s->bmFormatString,
                           block, fresh);
    if (placed && current)
      placed = place_pin(apdu + 5, data_len - 5, position + s->bInsertionOffsetOld, s->bmFormatString, block,
                         current);
    if (!placed) {
      explicit_bzero(apdu, sizeof apdu);
      rc = IFD_COMMUNICATION_ERROR;
    } else {
      rc = send_to_card(Lun, apdu, data_len, rx, rx_len, returned);
    }
  }
  explicit_bzero(entries, sizeof entries);
  return rc;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
                         DWORD RxLength, LPDWORD pdwBytesReturned) {
  *pdwBytesReturned = 0;
  if (dwControlCode == CM_IOCTL_GET_FEATURE_REQUEST) {
    static const UCHAR tags[] = {FEATURE_VERIFY_PIN_DIRECT, FEATURE_MODIFY_PIN_DIRECT};
    if (RxLength < sizeof tags * 6) return IFD_ERROR_INSUFFICIENT_BUFFER;
    for (unsigned i = 0; i < sizeof tags; i++) {
      DWORD code = FEATURE_CODE(tags[i]);
      UCHAR *r = RxBuffer + i * 6;
      r[0] = tags[i];
      r[1] = 4;
      r[2] = (UCHAR)(code >> 24);
      r[3] = (UCHAR)(code >> 16);
      r[4] = (UCHAR)(code >> 8);
      r[5] = (UCHAR)code;
    }
    *pdwBytesReturned = sizeof tags * 6;
    return IFD_SUCCESS;
  }
  if (dwControlCode == FEATURE_CODE(FEATURE_VERIFY_PIN_DIRECT))
    return verify_direct(Lun, TxBuffer, TxLength, RxBuffer, RxLength, pdwBytesReturned);
  if (dwControlCode == FEATURE_CODE(FEATURE_MODIFY_PIN_DIRECT))
    return modify_direct(Lun, TxBuffer, TxLength, RxBuffer, RxLength, pdwBytesReturned);
  return IFD_ERROR_NOT_SUPPORTED;
}
