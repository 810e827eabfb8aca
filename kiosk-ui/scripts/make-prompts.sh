#!/usr/bin/env bash
# Makes the kiosk's spoken prompts, kiosk-ui/audio/<prompt>-<lang>.ogg (Opus, mono, 16 kbit/s),
# offline: espeak-ng speaks the text (its Mandarin voice `cmn`, its English voice `en`) and
# opusenc encodes it. The files are committed; run this again only when a text changes
# (apt-get install espeak-ng opus-tools). The texts are the screens' own words.
set -euo pipefail
cd "$(dirname "$0")/../audio"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

prompt() {
  local file=$1 voice=$2 text=$3
  espeak-ng -v "$voice" -s 135 -w "$tmp/$file.wav" "$text"
  opusenc --quiet --bitrate 16 --downmix-mono "$tmp/$file.wav" "$file.ogg"
}

prompt insert-card-zh cmn '请插入社会保障卡，芯片朝上。'
prompt enter-pin-zh cmn '请输入密码，输入完请按确认。'
prompt take-card-zh cmn '请取走您的社会保障卡。谢谢使用，再见。'
prompt insert-card-en en 'Please insert your social security card, chip facing up.'
prompt enter-pin-en en 'Please enter your PIN, then press Confirm.'
prompt take-card-en en 'Please take your social security card. Thank you. Goodbye.'
