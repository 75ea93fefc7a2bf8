import { Module } from '@nestjs/common';
import { HealthModule } from '@rotor/runtime';
import { SignerController } from './signer.controller';
import { SignerService } from './signer.service';

@Module({
  imports: [HealthModule.forService('signer')],
  controllers: [SignerController],
  providers: [SignerService],
  exports: [SignerService],
})
export class SignerModule {}
