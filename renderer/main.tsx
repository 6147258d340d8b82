import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import './styles.css'; // Mantine's styles are imported from there
import './i18n/index.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { App } from './App.js';

const theme = createTheme({
  fontFamily: 'Roboto, "Segoe UI", Arial, "Noto Sans", sans-serif',
  primaryColor: 'blue',
  defaultRadius: 'sm',
});

// Anything thrown outside React (a promise nobody awaited) goes to the log, never to the screen as a trace.
window.addEventListener('unhandledrejection', (e) => console.error('unhandled rejection', e.reason));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="bottom-right" limit={3} />
      <ErrorBoundary>
        <App />
      </ErrorBoundary>
    </MantineProvider>
  </StrictMode>,
);
