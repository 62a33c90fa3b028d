/** The file store's reader for tests that call commands directly (no CLI). */
import { FileTrackingReader } from '../src/store/file/reader.js';
import { FileStore } from '../src/store/file/store.js';

export function fileReader(root: string): FileTrackingReader {
  return new FileTrackingReader(FileStore.open(root));
}
