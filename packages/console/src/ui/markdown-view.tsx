import { memo, useMemo, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from './markdown.js';

function inline(nodes: Inline[], key = ''): ReactNode[] {
  return nodes.map((node, i) => {
    const k = `${key}${i}`;
    switch (node.t) {
      case 'text':
        return node.v;
      case 'code':
        return <code key={k}>{node.v}</code>;
      case 'strong':
        return <strong key={k}>{inline(node.c, `${k}.`)}</strong>;
      case 'em':
        return <em key={k}>{inline(node.c, `${k}.`)}</em>;
      case 'del':
        return <del key={k}>{inline(node.c, `${k}.`)}</del>;
      case 'link':
        return (
          <a key={k} href={node.href} target="_blank" rel="noopener noreferrer nofollow">
            {inline(node.c, `${k}.`)}
          </a>
        );
      case 'br':
        return <br key={k} />;
    }
  });
}

function block(node: Block, key: string): ReactNode {
  switch (node.t) {
    case 'p':
      return <p key={key}>{inline(node.c)}</p>;
    case 'h': {
      // Message headings sit below the page's own headings: h4–h6 keep the outline sane.
      const Tag = (['h4', 'h4', 'h5', 'h6', 'h6', 'h6'] as const)[node.level - 1] ?? 'h6';
      return <Tag key={key} className={`md-h${node.level}`}>{inline(node.c)}</Tag>;
    }
    case 'code':
      return (
        <pre key={key} className="md-code" data-lang={node.lang || undefined}>
          <code>{node.v}</code>
        </pre>
      );
    case 'list': {
      const items = node.items.map((item, i) => <li key={i}>{item.map((child, j) => block(child, `${key}.${i}.${j}`))}</li>);
      return node.ordered ? (
        <ol key={key} start={node.start}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
    case 'quote':
      return <blockquote key={key}>{node.c.map((child, i) => block(child, `${key}.${i}`))}</blockquote>;
    case 'hr':
      return <hr key={key} />;
    case 'table':
      return (
        <div key={key} className="md-table">
          <table>
            <thead>
              <tr>
                {node.head.map((cell, i) => (
                  <th key={i} style={node.align[i] ? { textAlign: node.align[i]! } : undefined}>
                    {inline(cell)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {node.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, i) => (
                    <td key={i} style={node.align[i] ? { textAlign: node.align[i]! } : undefined}>
                      {inline(cell)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
  }
}

/** Renders Markdown text as React elements (never as HTML); parses once per distinct text. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const blocks = useMemo(() => parseMarkdown(text), [text]);
  return <div className="md">{blocks.map((node, i) => block(node, String(i)))}</div>;
});
