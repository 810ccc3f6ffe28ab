import { createClient } from '@supabase/supabase-js';

const SUPABASE_URL = 'https://bnchcorpusfakeref000.supabase.co';
const SUPABASE_PUBLISHABLE_KEY = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImJuY2hjb3JwdXNmYWtlcmVmMDAwIiwicm9sZSI6ImFub24iLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0.Y29ycHVzLWZha2Utc2lnbmF0dXJlLWFub25jb3JwdXMtZmFrZS1zaWduYXR1cmUtYW5vbg';

export const supabase = createClient(SUPABASE_URL, SUPABASE_PUBLISHABLE_KEY);
