// The vLLM adapter passes the engine contract against the twin: the same code path that drives `vllm serve`.
import { twinHarness } from '../../../test/targets/twin.js';
import { engineContract } from '../contract.js';

engineContract('vllm (twin)', twinHarness);
