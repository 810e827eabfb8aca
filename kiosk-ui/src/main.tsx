import { render } from 'preact';
import { App } from './app.js';
import { connectAgent } from './connection.js';
import { Language } from './i18n.js';
import { delaysFromQuery } from './inactivity.js';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app');

// The keypad's digits are shuffled when the kiosk is opened with `?keypad=shuffled`.
const shuffleKeypad = new URLSearchParams(location.search).get('keypad') === 'shuffled';

render(
  <App
    options={{
      connect: connectAgent,
      language: new Language(),
      shuffleKeypad,
      inactivity: delaysFromQuery(location.search),
    }}
  />,
  root,
);
