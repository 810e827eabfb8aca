import { render } from 'preact';
import './pages/index.js';
import { Console } from './shell.js';

render(<Console />, document.getElementById('console')!);
