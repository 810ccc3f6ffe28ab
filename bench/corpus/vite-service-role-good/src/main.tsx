import { supabase } from './lib/supabase';
console.log(supabase);
