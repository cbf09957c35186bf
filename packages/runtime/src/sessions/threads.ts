export { primaryThreadId } from '@longhand/protocol';
