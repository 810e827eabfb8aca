#!/usr/bin/env node
// The installed `sscard` command. It lives outside dist/ so that npm can link it at install time,
// before the build; the compiled entry sizes the thread pool before any ES module loads.
require('../dist/sscard.cjs');
