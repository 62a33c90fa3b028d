/**
 * Ids and default names for new entities, in MLflow's formats (spec §3.1, §4.1, §4.3).
 */
import { randomBytes, randomInt } from 'node:crypto';

/** A run id: uuid4 hex (32 lowercase hex characters, version and variant bits set). */
export function newRunId(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b.toString('hex');
}

/**
 * A new experiment id as MLflow 2.x/3.x makes them: 18 random decimal digits, never
 * starting with 0 (MLflow takes the last 18 digits of a uuid4's integer value and replaces
 * leading zeros so the length stays 18).
 */
export function newExperimentId(): string {
  let s = String(randomInt(1, 10));
  for (let i = 0; i < 17; i++) s += String(randomInt(0, 10));
  return s;
}

// mlr's own word lists, in the style of MLflow's default run names
const ADJECTIVES = [
  'able', 'adorable', 'agile', 'amazing', 'amusing', 'ample', 'bold', 'brave', 'bright', 'brisk', 'calm', 'capable',
  'casual', 'clean', 'clever', 'crisp', 'curious', 'dapper', 'daring', 'deft', 'eager', 'earnest', 'easy', 'exact',
  'fair', 'famous', 'fast', 'fearless', 'fine', 'fleet', 'fresh', 'funny', 'gentle', 'gifted', 'glad', 'grand',
  'handy', 'happy', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lively', 'loyal', 'lucky', 'merry', 'mighty',
  'modest', 'neat', 'nimble', 'noble', 'patient', 'placid', 'polite', 'proud', 'quick', 'quiet', 'rare', 'ready',
  'robust', 'rosy', 'rugged', 'serene', 'sharp', 'shiny', 'silent', 'sleek', 'smooth', 'snappy', 'solid', 'spry',
  'steady', 'stellar', 'sturdy', 'sunny', 'swift', 'tidy', 'tough', 'upbeat', 'valiant', 'vivid', 'warm', 'wise',
  'witty', 'zany', 'zesty',
];
const NOUNS = [
  'ant', 'ape', 'auk', 'bass', 'bat', 'bear', 'bee', 'bird', 'bison', 'boar', 'calf', 'carp', 'cat', 'cod', 'colt',
  'crab', 'crane', 'crow', 'deer', 'dog', 'dove', 'duck', 'eel', 'elk', 'emu', 'finch', 'fish', 'foal', 'fox', 'frog',
  'gnu', 'goat', 'goose', 'grouse', 'gull', 'hare', 'hawk', 'hen', 'heron', 'horse', 'hound', 'ibis', 'jay', 'kite',
  'koala', 'lamb', 'lark', 'lion', 'llama', 'lynx', 'mole', 'moose', 'moth', 'mouse', 'mule', 'newt', 'owl', 'ox',
  'panda', 'perch', 'pig', 'pike', 'pony', 'puma', 'quail', 'ram', 'rat', 'raven', 'robin', 'seal', 'shark', 'sheep',
  'shrew', 'skunk', 'sloth', 'snail', 'snake', 'squid', 'stag', 'stork', 'swan', 'tern', 'tiger', 'toad', 'trout',
  'vole', 'wasp', 'whale', 'wolf', 'worm', 'wren', 'yak', 'zebra',
];

/** A default run name like MLflow's: `adjective-noun-N`, N in 0..1000, at most 20 characters. */
export function randomRunName(): string {
  for (;;) {
    const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(0, 1001)}`;
    if (name.length <= 20) return name;
  }
}
