import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../src/web/html-to-text.js';
import { decodeEntities } from '../../src/web/html-entities.js';

const text = (html: string, base?: string) => htmlToText(html, base).text;

describe('htmlToText', () => {
  it('drops scripts, styles, comments and inline SVG, even when they hold markup', () => {
    const html = `<head><style>p { color: red }</style><script>document.write("<p>fake</p>")</script></head>
      <body><!-- <p>commented</p> --><svg><title>icon</title><text>svg text</text></svg><p>real</p>
      <noscript>enable js</noscript><template><p>later</p></template></body>`;
    expect(text(html)).toBe('real');
  });

  it('keeps the page when <head> is never closed', () => {
    expect(text('<html><head><title>T</title><body><p>body text</p>')).toBe('body text');
  });

  it('ends a script only at its own end tag, in any letter case', () => {
    expect(text('<script>if (a </b) x = "</scrip>";</SCRIPT >after')).toBe('after');
  });

  it('renders headings, paragraphs and line breaks', () => {
    expect(text('<h1>Title</h1><p>One<br>two</p><h3>Sub</h3><p>three</p>')).toBe('# Title\n\nOne\ntwo\n\n### Sub\n\nthree');
  });

  it('collapses whitespace the way a browser does', () => {
    expect(text('<p>  many\n\n   spaces\there  </p>')).toBe('many spaces here');
    expect(text('<p>a&nbsp;&nbsp;b</p>')).toBe('a  b');
    expect(text('<span>a</span><span>b</span> <span>c</span>')).toBe('ab c');
  });

  it('keeps list structure, nesting and numbering', () => {
    const html = '<ul><li>one</li><li>two<ul><li>two a</li></ul></li><li><p>three</p></li></ul><ol start="4"><li>four</li><li>five</li></ol>';
    expect(text(html)).toBe('- one\n- two\n  - two a\n- three\n\n4. four\n5. five');
  });

  it('renders links as Markdown with absolute addresses', () => {
    const html = '<p>See <a href="/docs/intro">the intro</a> and <a href="https://other.test/x">this</a>.</p>';
    expect(text(html, 'https://example.com/a/b')).toBe('See [the intro](https://example.com/docs/intro) and [this](https://other.test/x).');
  });

  it('honours <base href> over the page address', () => {
    expect(text('<base href="https://cdn.test/root/"><a href="page">p</a>', 'https://example.com/')).toBe('[p](https://cdn.test/root/page)');
  });

  it('shows a link once when its words are its address, and drops script and fragment links to their words', () => {
    expect(text('<a href="https://x.test/">https://x.test/</a>')).toBe('https://x.test/');
    expect(text('<a href="javascript:void(0)">click</a> <a href="#top">top</a>')).toBe('click top');
  });

  it('drops links without words and describes images by their alt text', () => {
    expect(text('<p><a href="/x"><img src="i.png" alt=""></a>text <img src="c.png" alt="a cat"></p>')).toBe('text [image: a cat]');
    expect(text('<a href="/home"><img src="logo.png" alt="Home"></a>', 'https://e.test/')).toBe('[Home](https://e.test/home)');
  });

  it('keeps preformatted text exactly, fenced, without the newline after <pre>', () => {
    const html = '<p>code:</p><pre><code>\nif (a &lt; b) {\n    return;\n}\n</code></pre><p>after</p>';
    expect(text(html)).toBe('code:\n\n```\nif (a < b) {\n    return;\n}\n```\n\nafter');
  });

  it('marks inline code', () => {
    expect(text('<p>call <code>run()</code> now</p>')).toBe('call `run()` now');
  });

  it('lays tables out one row per line', () => {
    expect(text('<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>')).toBe('a | b\n1 | 2');
  });

  it('uses the <title>, or else the first <h1>, as the title', () => {
    expect(htmlToText('<title> My\n Page </title><h1>Other</h1>').title).toBe('My Page');
    expect(htmlToText('<h1>First <em>one</em></h1><h1>Second</h1>').title).toBe('First one');
    expect(htmlToText('<p>none</p>').title).toBeUndefined();
  });

  it('survives broken markup', () => {
    expect(text('<p>unclosed <b>bold <i>both</p> a < b and a<b')).toBe('unclosed bold both\n\na < b and a');
    expect(text('<div class="x>oops')).toBe('');
    expect(text('<p>text<!-- never closed')).toBe('text');
    expect(text('')).toBe('');
  });

  it('keeps non-Latin text and emoji intact', () => {
    expect(text('<p>日本語のテキスト 😀 Ünïcödé</p>')).toBe('日本語のテキスト 😀 Ünïcödé');
  });

  it('handles a large page in one linear pass', () => {
    const html = '<div>' + '<p>para <a href="/x">link</a></p>'.repeat(20_000) + '</div>';
    const out = text(html, 'https://e.test/');
    expect(out.split('\n\n')).toHaveLength(20_000);
  });
});

describe('decodeEntities', () => {
  it('decodes named, decimal and hex references', () => {
    expect(decodeEntities('Fish &amp; chips &#8211; &euro;5 &#x1F600;')).toBe('Fish & chips – €5 😀');
  });

  it('leaves unknown names and bare ampersands as written', () => {
    expect(decodeEntities('AT&T &bogus; a & b')).toBe('AT&T &bogus; a & b');
  });

  it('accepts the legacy references without a semicolon only for the old names', () => {
    expect(decodeEntities('&copy 2004 &amp more')).toBe('© 2004 & more');
    expect(decodeEntities('&hellip without')).toBe('&hellip without');
  });

  it('replaces invalid code points and maps the C1 range as browsers do', () => {
    expect(decodeEntities('&#0;&#xD800;&#x110000;')).toBe('\ufffd\ufffd\ufffd');
    expect(decodeEntities('&#150;&#x80;')).toBe('–€');
  });
});
