import { InstrumentFileError, type InstrumentErrorLocation, type InstrumentFormat } from './errors.js';
import { asciiAt, decodeText } from './input.js';

export interface XmlElement {
  /** Qualified name as written ("rdml:react"). */
  name: string;
  /** Name without namespace prefix ("react"); what the parsers match on. */
  localName: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded, untrimmed). */
  text: string;
}

export interface XmlParseOptions {
  format?: InstrumentFormat;
  /** Included in error locations (the ZIP entry the document came from). */
  zipEntry?: string;
  /** Elements (by local name) whose subtrees are checked for well-formedness but not kept, to save memory. */
  skipElements?: ReadonlySet<string>;
  maxDepth?: number;
}

const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML bytes: BOM first, then the encoding in the XML declaration, then UTF-8/Windows-1252. */
export function decodeXml(bytes: Uint8Array): string {
  const declaration = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(asciiAt(bytes, 0, 200));
  return decodeText(bytes, declaration?.[1]);
}

/**
 * A small, deliberately strict XML reader for instrument exports. It never fetches or expands
 * anything: only the five predefined entities and character references are decoded, and a
 * DOCTYPE that declares entities is refused outright (entity-expansion "billion laughs" bombs).
 */
export function parseXml(source: string, options: XmlParseOptions = {}): XmlElement {
  const maxDepth = options.maxDepth ?? 512;
  const stack: XmlElement[] = [];
  let skippedDepth = 0; // > 0 while inside an element whose subtree is not kept
  let root: XmlElement | null = null;
  let i = source.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (code: 'instrument.corrupt' | 'instrument.truncated' | 'instrument.unsupported', message: string, at: number): never => {
    throw new InstrumentFileError(code, message, locate(source, at, options.zipEntry), options.format);
  };
  const until = (terminator: string, from: number, what: string): number => {
    const end = source.indexOf(terminator, from);
    if (end === -1) fail('instrument.truncated', `The XML document ends inside ${what}.`, from);
    return end;
  };

  while (i < source.length) {
    if (source.charCodeAt(i) !== 0x3c /* < */) {
      const next = source.indexOf('<', i);
      const end = next === -1 ? source.length : next;
      const raw = source.slice(i, end);
      if (stack.length > 0) {
        if (skippedDepth === 0) stack[stack.length - 1].text += decodeEntities(raw, i, fail);
      } else if (raw.trim() !== '') {
        fail('instrument.corrupt', 'Text outside the root element.', i);
      }
      i = end;
      continue;
    }
    if (source.startsWith('<?', i)) {
      i = until('?>', i + 2, 'a processing instruction') + 2;
    } else if (source.startsWith('<!--', i)) {
      i = until('-->', i + 4, 'a comment') + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const end = until(']]>', i + 9, 'a CDATA section');
      if (stack.length === 0) fail('instrument.corrupt', 'CDATA outside the root element.', i);
      if (skippedDepth === 0) stack[stack.length - 1].text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith('<!DOCTYPE', i) || source.startsWith('<!doctype', i)) {
      if (root || stack.length > 0) fail('instrument.corrupt', 'A DOCTYPE may only precede the root element.', i);
      i = skipDoctype(source, i, fail);
    } else if (source.startsWith('</', i)) {
      const end = until('>', i + 2, 'an end tag');
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop() ?? fail('instrument.corrupt', `End tag </${name}> without a start tag.`, i);
      if (open.name !== name) fail('instrument.corrupt', `End tag </${name}> does not match <${open.name}>.`, i);
      if (skippedDepth > 0) skippedDepth--;
      i = end + 1;
    } else {
      if (root && stack.length === 0) fail('instrument.corrupt', 'A second root element follows the document element.', i);
      const tag = readStartTag(source, i, fail);
      if (stack.length >= maxDepth) fail('instrument.unsupported', `Elements are nested deeper than ${maxDepth} levels.`, i);
      const element: XmlElement = { name: tag.name, localName: localNameOf(tag.name), attributes: tag.attributes, children: [], text: '' };
      const skip = skippedDepth > 0 || (options.skipElements?.has(element.localName) ?? false);
      if (stack.length === 0) root = element;
      else if (!skip) stack[stack.length - 1].children.push(element);
      if (!tag.selfClosing) {
        stack.push(element);
        if (skip) skippedDepth++;
      }
      i = tag.end;
    }
  }
  if (stack.length > 0) fail('instrument.truncated', `The XML document ends before </${stack[stack.length - 1].name}>.`, source.length);
  if (!root) fail('instrument.corrupt', 'The XML document has no root element.', 0);
  return root as XmlElement;
}

type Fail = (code: 'instrument.corrupt' | 'instrument.truncated' | 'instrument.unsupported', message: string, at: number) => never;

function skipDoctype(source: string, start: number, fail: Fail): number {
  let i = start + 9;
  let inSubset = false;
  for (; i < source.length; i++) {
    const ch = source[i];
    if (ch === '[') inSubset = true;
    else if (ch === ']') inSubset = false;
    else if (ch === '>' && !inSubset) break;
    else if (inSubset && source.startsWith('<!ENTITY', i)) {
      fail('instrument.unsupported', 'DTD entity declarations are refused (they enable entity-expansion attacks).', i);
    }
  }
  if (i >= source.length) fail('instrument.truncated', 'The XML document ends inside its DOCTYPE.', start);
  return i + 1;
}

function readStartTag(source: string, start: number, fail: Fail): { name: string; attributes: Record<string, string>; selfClosing: boolean; end: number } {
  const nameMatch = /^<([A-Za-z_:\u00c0-\uffff][-A-Za-z0-9_:.\u00b7-\uffff]*)/.exec(source.slice(start, start + 256));
  if (!nameMatch) fail('instrument.corrupt', 'Malformed start tag.', start);
  const name = (nameMatch as RegExpExecArray)[1];
  const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
  const attribute = /\s*(?:([^\s=/>]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')|(\/?>))/y;
  attribute.lastIndex = start + 1 + name.length;
  for (;;) {
    const at = attribute.lastIndex;
    const match = attribute.exec(source);
    if (!match) {
      if (source.indexOf('>', at) === -1) fail('instrument.truncated', `The XML document ends inside <${name}>.`, start);
      fail('instrument.corrupt', `Malformed attribute in <${name}>.`, at);
    }
    const m = match as RegExpExecArray;
    if (m[4]) return { name, attributes, selfClosing: m[4] === '/>', end: attribute.lastIndex };
    if (m[1] in attributes) fail('instrument.corrupt', `Attribute ${m[1]} repeated in <${name}>.`, at);
    attributes[m[1]] = decodeEntities(m[2] ?? m[3] ?? '', at, fail);
  }
}

function decodeEntities(raw: string, at: number, fail: Fail): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,32});?/g, (whole, entity: string) => {
    if (!whole.endsWith(';')) fail('instrument.corrupt', 'An "&" is not part of an entity reference.', at);
    if (entity in PREDEFINED_ENTITIES) return PREDEFINED_ENTITIES[entity];
    const code = /^#x([0-9a-fA-F]{1,6})$/.exec(entity)?.[1];
    const decimal = /^#([0-9]{1,7})$/.exec(entity)?.[1];
    const point = code !== undefined ? parseInt(code, 16) : decimal !== undefined ? Number(decimal) : NaN;
    if (Number.isInteger(point) && point > 0 && point <= 0x10ffff) return String.fromCodePoint(point);
    return fail('instrument.corrupt', `Undefined entity "&${entity};" (only the XML built-ins are allowed).`, at);
  });
}

function localNameOf(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

function locate(source: string, at: number, zipEntry?: string): InstrumentErrorLocation {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at && i < source.length; i++) {
    if (source.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1, ...(zipEntry ? { zipEntry } : {}) };
}

/** First direct child with this local name. */
export function childElement(element: XmlElement | undefined, localName: string): XmlElement | undefined {
  return element?.children.find((child) => child.localName === localName);
}

export function childElements(element: XmlElement | undefined, localName: string): XmlElement[] {
  return element ? element.children.filter((child) => child.localName === localName) : [];
}

/** Trimmed text of the first direct child with this name, or null if absent/empty. */
export function childText(element: XmlElement | undefined, localName: string): string | null {
  const text = childElement(element, localName)?.text.trim();
  return text ? text : null;
}

/** Depth-first descendants with this local name; `stopAt` names subtrees not to enter. */
export function descendants(element: XmlElement, localName: string, stopAt: ReadonlySet<string> = new Set()): XmlElement[] {
  const found: XmlElement[] = [];
  const pending = [...element.children].reverse();
  while (pending.length > 0) {
    const next = pending.pop() as XmlElement;
    if (next.localName === localName) found.push(next);
    if (!stopAt.has(next.localName)) for (let c = next.children.length - 1; c >= 0; c--) pending.push(next.children[c]);
  }
  return found;
}
