import type { Handlers } from '../../shared/contract.js';
import { AppError } from '../../shared/errors.js';

type TemplateHandlers = Pick<
  Handlers,
  | 'templates.list'
  | 'templates.check'
  | 'templates.publish'
  | 'templates.workbook'
  | 'templates.starter'
  | 'templates.sample'
  | 'templates.previewPackage'
  | 'templates.previewConsolidation'
  | 'templates.receive'
>;

/** Templates as data: the calls of templateContract (shared/contract.ts). Placeholder until the module lands. */
export function createTemplateHandlers(): TemplateHandlers {
  const todo = (): never => {
    throw new AppError('invalid_input', 'Chức năng mẫu báo cáo đang được xây dựng.');
  };
  return {
    'templates.list': todo,
    'templates.check': todo,
    'templates.publish': todo,
    'templates.workbook': todo,
    'templates.starter': todo,
    'templates.sample': todo,
    'templates.previewPackage': todo,
    'templates.previewConsolidation': todo,
    'templates.receive': todo,
  };
}
