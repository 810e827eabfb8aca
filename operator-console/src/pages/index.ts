// Every page of the console, registered by importing its module once.
import './statistics.js';
import './terminals.js';
import './policy-what-if.js';
