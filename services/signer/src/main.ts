import { startService } from '@rotor/runtime';
import { SignerModule } from './signer.module';

void startService('signer', SignerModule, { servesSubjects: true });
