import { Module } from '@nestjs/common';
import { HealthModule } from '@rotor/runtime';
import { QueryController } from './query.controller';
import { QueryService } from './query.service';

@Module({
  imports: [HealthModule.forService('query', { store: 'reads' })],
  controllers: [QueryController],
  providers: [QueryService],
  exports: [QueryService],
})
export class QueryModule {}
