import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// core/kafka.ts hands out kafkajs's Kafka with its idle-loop correction applied
const KAFKA_CLASS = {
  name: 'kafkajs',
  importNames: ['Kafka'],
  allowTypeImports: true,
  message: "Import Kafka from core/kafka.js: it corrects kafkajs's idle request-queue loop.",
};

// The layers of docs/architecture.md and what each may import. Our imports are relative, so a
// layer lists the directories it must not reach (`**/dir/**` matches at any depth); type-only
// imports count too. Dynamic import() is not checked.
const LAYERS = [
  { files: ['core/**'], may: 'nothing of ours', not: ['operator', 'workloads', 'test'] },
  { files: ['operator/api/**'], may: 'core/', not: ['model', 'controller', 'cli', 'util', 'workloads', 'test'] },
  { files: ['operator/model/**'], may: 'api/ and core/', not: ['controller', 'cli', 'util', 'workloads', 'test'] },
  { files: ['operator/controller/**'], may: 'model/, api/ and core/', not: ['cli', 'util', 'workloads', 'test'] },
  { files: ['operator/cli/**'], may: 'model/, api/, util/ and core/', not: ['controller', 'workloads', 'test'] },
  { files: ['operator/util/**'], may: 'nothing of ours', not: ['core', 'api', 'model', 'controller', 'cli', 'workloads', 'test'] },
  { files: ['operator/main.ts'], may: 'controller/ and core/', not: ['api', 'model', 'cli', 'util', 'workloads', 'test'] },
  { files: ['workloads/**'], may: 'core/ (and workloads/)', not: ['operator', 'test'] },
];

const layerPatterns = ({ files, may, not }) =>
  not.map((dir) => ({
    group: [`**/${dir}/**`],
    message: `${files[0].replace(/\*\*$/, '')} may import ${may} (docs/architecture.md, Layers).`,
  }));

// A later config object replaces an earlier one's options for the same rule, so each layer's
// object repeats the Kafka restriction.
const restrictImports = (options) => ({ '@typescript-eslint/no-restricted-imports': ['error', options] });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'charts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...restrictImports({ paths: [KAFKA_CLASS] }),
    },
  },
  ...LAYERS.map((layer) => ({ files: layer.files, rules: restrictImports({ paths: [KAFKA_CLASS], patterns: layerPatterns(layer) }) })),
  { files: ['core/kafka.ts'], rules: restrictImports({ patterns: layerPatterns(LAYERS[0]) }) },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
