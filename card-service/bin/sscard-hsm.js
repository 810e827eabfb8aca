#!/usr/bin/env node
// The installed `sscard-hsm` command; outside dist/ so that npm links it before the build.
import '../dist/hsm/hsm-main.js';
