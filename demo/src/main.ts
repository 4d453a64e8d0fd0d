/** The demo page: imports wgnn like a user, starts the backend, wires the panels. */
import './style.css';
import { startBackend } from './backend.js';
import { describeError } from './dom.js';
import { setupSeedPanel } from './seed_panel.js';
import { setupTrainPanel } from './train_panel.js';
import { setupFinetunePanel } from './finetune_panel.js';

setupSeedPanel();
setupTrainPanel();
setupFinetunePanel();
startBackend().then(
  () => { document.body.dataset.ready = 'true'; },
  (e: unknown) => {
    const status = document.getElementById('backend-status');
    if (status) status.textContent = `Backend failed to start: ${describeError(e)}`;
    document.body.dataset.ready = 'error';
  },
);
