// Every page of the console, registered by importing its module once.
import './alerts.js';
import './audit.js';
import './holders.js';
import './policy.js';
import './statistics.js';
import './terminals.js';
import './policy-what-if.js';
import './fund-warnings.js';
import './data-quality.js';
import './pension-projection.js';
