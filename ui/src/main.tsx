import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadBackend } from './backend';
import { createQueryClient } from './state/queries';
import './styles.css';

const backend = await loadBackend();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App backend={backend} queryClient={createQueryClient()} />
  </StrictMode>,
);
