import { Badge, Tabs } from '@mantine/core';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import type { Issue } from '../../shared/template/rules.js';
import type { Section } from '../../shared/template/schema.js';

/** A section's tab: its code with the counts of errors and warnings, and its title underneath. */
export function SectionTab({
  section,
  lang,
  errors,
  warnings,
}: {
  section: Section;
  lang: Lang;
  errors: Issue[];
  warnings: Issue[];
}) {
  const e = errors.filter((i) => i.section === section.key).length;
  const w = warnings.filter((i) => i.section === section.key).length;
  return (
    <Tabs.Tab value={section.key} className="section-tab" data-section-tab={section.key}>
      <div className="tab-code">
        {section.code}
        {e > 0 && (
          <Badge size="xs" color="red" ml={6} circle={e < 10}>
            {e}
          </Badge>
        )}
        {w > 0 && (
          <Badge size="xs" color="orange" ml={4} circle={w < 10}>
            {w}
          </Badge>
        )}
      </div>
      <div className="tab-title">{tx(section.title, lang)}</div>
    </Tabs.Tab>
  );
}
