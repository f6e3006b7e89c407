import { builder } from '../builder.js';

// Types and root fields of this area are declared here.
void builder;
