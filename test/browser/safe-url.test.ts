import { describe, expect, it } from 'vitest';
import { safeHref } from '../../src/browser/safe-url.js';

describe('safeHref', () => {
  const base = 'https://docs.example.org/guide/';
  it('resolves relative and absolute http(s) links', () => {
    expect(safeHref('install.html#npm', base)).toBe('https://docs.example.org/guide/install.html#npm');
    expect(safeHref('http://other.example/x', base)).toBe('http://other.example/x');
  });
  it('refuses script and data URLs, and garbage', () => {
    expect(safeHref('javascript:alert(1)', base)).toBeUndefined();
    expect(safeHref(' JavaScript:alert(1)', base)).toBeUndefined();
    expect(safeHref('data:text/html,<script>1</script>', base)).toBeUndefined();
    expect(safeHref('http://[bad', base)).toBeUndefined();
  });
});
