import { render } from 'preact';
import { configure } from './api';
import { App } from './app';
import './styles.css';

await configure();
const root = document.getElementById('app')!;
root.textContent = ''; // the static "Loading…" placeholder
render(<App />, root);
