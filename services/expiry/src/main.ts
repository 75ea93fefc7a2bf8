import { startService } from '@rotor/runtime';
import { ExpiryModule } from './expiry.module';

void startService('expiry', ExpiryModule, { servesSubjects: false });
