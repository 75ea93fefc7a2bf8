import { startService } from '@rotor/runtime';
import { QueryModule } from './query.module';

void startService('query', QueryModule, { servesSubjects: true });
