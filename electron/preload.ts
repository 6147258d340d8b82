/**
 * The narrow bridge: the renderer gets window.api.invoke (the one contract) and two platform
 * functions (save a file, print). Nothing else of Node or Electron reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('api', {
  invoke: (name: string, input: unknown) => ipcRenderer.invoke('api', name, input),
});
contextBridge.exposeInMainWorld('platform', {
  saveFile: (suggestedName: string, base64: string) => ipcRenderer.invoke('platform:saveFile', suggestedName, base64),
  print: () => ipcRenderer.invoke('platform:print'),
});
