import { monthlyRunCrashSuite } from '../testing/monthly-run-crash-suite.js';

monthlyRunCrashSuite('sqlite');
