import { render } from 'preact';
import { App } from './app.js';
import { connectAgent } from './connection.js';
import { Language } from './i18n.js';
import { clerkIdleFromQuery } from './bureau/clerk-idle.js';
import { delaysFromQuery } from './inactivity.js';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app');

// The keypad's digits are shuffled when the kiosk is opened with `?keypad=shuffled`.
const query = new URLSearchParams(location.search);
const shuffleKeypad = query.get('keypad') === 'shuffled';
// The staff counter the kiosk sends citizens to (`?counter=3`), when the hall names one.
const counter = query.get('counter')?.match(/^[0-9A-Za-z]{1,4}$/)?.[0];

render(
  <App
    options={{
      connect: connectAgent,
      language: new Language(),
      shuffleKeypad,
      inactivity: delaysFromQuery(location.search),
      counter,
      clerkIdleMs: clerkIdleFromQuery(location.search),
    }}
  />,
  root,
);
