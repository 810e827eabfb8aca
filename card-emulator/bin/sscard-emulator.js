#!/usr/bin/env node
// The installed `sscard-emulator` command; outside dist/ so that npm links it before the build.
import '../dist/cli.js';
