import { startService } from '@rotor/runtime';
import { CommandModule } from './command.module';

void startService('command', CommandModule, { servesSubjects: true });
