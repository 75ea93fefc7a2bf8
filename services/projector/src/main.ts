import { startService } from '@rotor/runtime';
import { ProjectorModule } from './projector.module';

void startService('projector', ProjectorModule, { servesSubjects: false });
